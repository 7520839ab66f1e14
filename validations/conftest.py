"""pytest plumbing for claims: seed option, claim fixture, report writing."""
from __future__ import annotations

import os
import time

import pytest

from .report import ClaimRecord, claim_table, write_report

DEFAULT_SEED = 20190618
_RECORDS: list = []


def claim_seed(config) -> int:
    opt = config.getoption("--claim-seed", default=None)
    val = opt if opt is not None else os.environ.get("TWOLAYER_SEED", DEFAULT_SEED)
    try:
        seed = int(val)
    except ValueError:
        raise pytest.UsageError(f"--claim-seed / TWOLAYER_SEED must be an integer, got {val!r}") from None
    if seed < 0:
        raise pytest.UsageError("--claim-seed / TWOLAYER_SEED must be >= 0")
    return seed


@pytest.fixture
def seed(request) -> int:
    """Root seed of this claim (``--claim-seed`` / ``TWOLAYER_SEED``)."""
    return claim_seed(request.config)


@pytest.fixture
def claim(request, seed):
    """The :class:`ClaimRecord` of this test, filled from its ``claim`` marker."""
    m = request.node.get_closest_marker("claim")
    kw = dict(m.kwargs) if m else {}
    doc = (request.node.function.__doc__ or "").strip().split("\n\n")[0]
    rec = ClaimRecord(request.node.nodeid, kw.get("paper", ""), kw.get("arxiv", ""), kw.get("ref", ""),
                      " ".join(doc.split()), seed)
    t0 = time.perf_counter()
    _RECORDS.append(rec)
    request.node._claim_record = rec
    yield rec
    rec.duration_s = time.perf_counter() - t0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    rec = getattr(item, "_claim_record", None)
    if rec is None:
        return
    if rep.when == "call" or (rep.when == "setup" and rep.outcome != "passed"):
        rec.outcome = "skipped" if rep.skipped else rep.outcome
        if rep.failed:
            rec.error = str(rep.longrepr)[-3000:]


def report_dir(config):
    return config.getoption("--report", default=None) or os.environ.get("TWOLAYER_REPORT") or None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _RECORDS:
        return
    terminalreporter.section("claims")
    terminalreporter.write_line(claim_table(_RECORDS))
    d = report_dir(config)
    if d:
        path = write_report(_RECORDS, d)
        terminalreporter.write_line(f"report written to {path}")
