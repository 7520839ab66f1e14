"""Repository-wide pytest options (shared by tests/ and validations/)."""


def pytest_addoption(parser):
    group = parser.getgroup("twolayer")
    group.addoption("--claim-seed", default=None, help="root seed of every claim (env TWOLAYER_SEED)")
    group.addoption("--report", default=None, help="write the validation report (JSON, PNG, index) to this directory "
                                                  "(env TWOLAYER_REPORT)")
