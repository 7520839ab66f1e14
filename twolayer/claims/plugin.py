"""pytest plumbing of the claims: seeds, the ``claim`` fixture, the suite's error budget, reports.

Installed as a ``pytest11`` entry point (named ``twolayer.claims.plugin``), so every pytest run
in an environment with twolayer installed has it, in any project; the repository's root conftest
also names it, for runs from a checkout that is not installed. Options:

``--claim-seed N``
    root seed of every claim (env ``TWOLAYER_SEED``; default ``DEFAULT_SEED``). ``commit``
    derives one from ``git rev-parse HEAD`` (what CI runs beside the default), so that no claim
    can be tuned to one seed.
``--claim-seeds LIST``
    run every claim at each of several seeds in one session (``1,2,3`` or ``10:30``); the items
    are ordered seed by seed so that per-seed caches are reused. The audit runner uses this.
``--heavy-share N``
    run only a share of about 1/N of the claims marked ``heavy`` (the few that take over ~15 s on
    the 2-core reference machine): they are ordered by a hash of their node ids, and the ones whose
    rank is congruent to the claim seed modulo N run. N consecutive seeds cover each of them once.
    CI's second pass at the commit seed uses it to stay inside its time; the default-seed pass of
    the README's test command runs them all. Refused with ``--claim-seeds``.
``--claim-json FILE``
    write every claim's record (outcome, duration, every verdict with its rule and p-value) as
    one JSON list.
``--claim-report DIR`` (also ``--report DIR`` unless another plugin owns that name)
    the report directory (env ``TWOLAYER_REPORT``): JSON and PNG per claim, index.html, claims.md.

Error budget: a plain run may hold at most ``stats.CLAIM_BUDGET`` claims at one seed, each at
``stats.ALPHA``, so that the run fails by chance with probability <= ``stats.SUITE_ALPHA``; a
run that selects more is refused at collection.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time

import pytest

from .report import ClaimRecord, claim_table, render_png, resolve_links, suite_rate_line, write_report
from . import stats

DEFAULT_SEED = 20190618
_RECORDS: list = []


def pytest_addoption(parser):
    group = parser.getgroup("twolayer claims")
    for opt, kw in (("--claim-seed", dict(default=None, help="root seed of every claim (env TWOLAYER_SEED); "
                                                             "'commit' derives one from the git commit")),
                    ("--claim-seeds", dict(default=None, help="run every claim at each of these seeds "
                                                              "('1,2,3' or 'a:b')")),
                    ("--heavy-share", dict(default=None, help="run a seed-dependent share of about 1/N of the "
                                                              "claims marked heavy (N consecutive seeds cover each)")),
                    ("--claim-json", dict(default=None, help="write all claim records to this JSON file")),
                    ("--check-figures", dict(action="store_true", default=False,
                                             help="draw every claim's figure as part of its test, so that a figure "
                                                  "that fails to draw fails the claim (env TWOLAYER_CHECK_FIGURES=1; "
                                                  "implied by --report)"))):
        try:
            group.addoption(opt, **kw)
        except ValueError:      # already registered (the plugin loaded twice)
            pass
    # the report directory: --claim-report always; the short --report too unless another plugin owns it
    rkw = dict(dest="claim_report", default=None,
               help="write the validation report (JSON, PNG, index) to this directory (env TWOLAYER_REPORT)")
    try:
        group.addoption("--claim-report", "--report", **rkw)
    except ValueError:
        try:
            group.addoption("--claim-report", **rkw)
        except ValueError:      # the plugin loaded twice
            pass


def commit_seed(cwd=None) -> int:
    """A claim seed derived from the current git commit: first 8 hex digits of
    SHA-256("twolayer-claim-seed:" + commit hash)."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                             cwd=cwd).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        raise pytest.UsageError(f"--claim-seed commit needs a git checkout: {e}") from None
    return int(hashlib.sha256(f"twolayer-claim-seed:{sha}".encode()).hexdigest()[:8], 16)


def _parse_seed(val) -> int:
    if str(val).strip().lower() == "commit":
        return commit_seed()
    try:
        seed = int(val)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"--claim-seed / TWOLAYER_SEED must be an integer or 'commit', got {val!r}") from None
    if seed < 0:
        raise pytest.UsageError("--claim-seed / TWOLAYER_SEED must be >= 0")
    return seed


def claim_seed(config) -> int:
    opt = config.getoption("--claim-seed", default=None)
    return _parse_seed(opt if opt is not None else os.environ.get("TWOLAYER_SEED", DEFAULT_SEED))


def claim_seeds(config):
    """The seeds of ``--claim-seeds``, or None."""
    spec = config.getoption("--claim-seeds", default=None)
    if not spec:
        return None
    try:
        if ":" in spec:
            a, b = (int(v) for v in spec.split(":"))
            seeds = list(range(a, b))
        else:
            seeds = [int(v) for v in spec.split(",") if v.strip()]
    except ValueError:
        raise pytest.UsageError(f"--claim-seeds must be 'a,b,c' or 'a:b', got {spec!r}") from None
    if not seeds or any(s < 0 for s in seeds):
        raise pytest.UsageError(f"--claim-seeds must name non-negative seeds, got {spec!r}")
    return seeds


def pytest_configure(config):
    config.addinivalue_line("markers", "claim(paper, arxiv, ref, theory=(), sims=()): a validation claim with its "
                            "source and the 'module:qualname' of the theory and simulator it checks")
    config.addinivalue_line("markers", "heavy: a claim that takes over ~15 s on the reference machine; "
                            "--heavy-share N runs a seed-dependent 1/N of them (gpu parametrisations excepted)")


def heavy_share(config) -> int:
    """The N of ``--heavy-share`` (1: every heavy claim runs)."""
    val = config.getoption("--heavy-share", default=None)
    if val is None:
        return 1
    try:
        n = int(val)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"--heavy-share must be an integer >= 1, got {val!r}") from None
    if n < 1:
        raise pytest.UsageError(f"--heavy-share must be an integer >= 1, got {val!r}")
    return n


def heavy_rotation(ids, seed: int, share: int) -> set:
    """The node ids of the heavy claims that run at ``seed`` under ``--heavy-share share``.

    The ids are ranked by SHA-256 of the id (a fixed order that does not depend on the seed or on
    the collection order); rank r runs when r = seed (mod share). So each seed runs floor or ceil
    of len(ids)/share of them, and any ``share`` consecutive seeds run each exactly once.
    """
    ranked = sorted(set(ids), key=lambda i: hashlib.sha256(f"twolayer-heavy:{i}".encode()).hexdigest())
    return {i for r, i in enumerate(ranked) if (r - seed) % share == 0}


def pytest_generate_tests(metafunc):
    seeds = claim_seeds(metafunc.config)
    if seeds is not None and "seed" in metafunc.fixturenames and metafunc.definition.get_closest_marker("claim"):
        metafunc.parametrize("seed", seeds, indirect=True, ids=[f"seed{s}" for s in seeds])


@pytest.hookimpl(trylast=True)     # after -m / -k deselection, so the heavy share counts what the run holds
def pytest_collection_modifyitems(session, config, items):
    # each claim's theory= / sims= targets resolve now: a typo stops the run before any claim runs
    resolved = {}
    for it in items:
        m = it.get_closest_marker("claim")
        if m is None:
            continue
        th, si = m.kwargs.get("theory", ()), m.kwargs.get("sims", ())
        key = (th if isinstance(th, str) else tuple(th), si if isinstance(si, str) else tuple(si))
        if key not in resolved:
            try:
                resolved[key] = resolve_links(th, si)
            except ValueError as exc:
                raise pytest.UsageError(f"{it.nodeid}: claim marker: {exc}") from None
        it._claim_links = resolved[key]
    seeds = claim_seeds(config)
    share = heavy_share(config)
    if share > 1:
        if seeds is not None:
            raise pytest.UsageError("--heavy-share runs a share of the heavy claims at one seed; "
                                    "it cannot be combined with --claim-seeds")
        # (the gpu parametrisations stay: they skip without a GPU and run in full with one)
        rotating = [it for it in items if it.get_closest_marker("claim") and it.get_closest_marker("heavy")
                    and not it.get_closest_marker("gpu")]
        heavy = [_base_id(it) for it in rotating]
        keep = heavy_rotation(heavy, claim_seed(config), share)
        dropped = [it for it, base in zip(rotating, heavy) if base not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            gone = set(map(id, dropped))
            items[:] = [it for it in items if id(it) not in gone]
        config._twolayer_heavy = (len(keep), len(set(heavy)), share)
    if seeds is not None:        # seed-major order: caches keyed by seed are reused, memory stays bounded
        order = {s: i for i, s in enumerate(seeds)}
        keyed = [(order.get(getattr(it, "callspec", None) and it.callspec.params.get("seed"), -1), i, it)
                 for i, it in enumerate(items)]
        items[:] = [it for _, _, it in sorted(keyed, key=lambda t: (t[0], t[1]))]


def pytest_collection_finish(session):
    """Count the claims the run holds (after -m/-k deselection) against the error budget."""
    config = session.config
    claims = {_base_id(it) for it in session.items if it.get_closest_marker("claim") is not None}
    config._twolayer_n_claims = len(claims)
    if len(claims) > stats.CLAIM_BUDGET:
        raise pytest.UsageError(
            f"this run selects {len(claims)} claims but the error budget covers {stats.CLAIM_BUDGET} "
            f"(ALPHA = {stats.ALPHA:g} each, suite rate <= {stats.SUITE_ALPHA:g}); raise stats.CLAIM_BUDGET, "
            f"which lowers ALPHA, or select fewer claims")


def _base_id(item) -> str:
    """The node id without the ``seed`` parametrisation."""
    cs = getattr(item, "callspec", None)
    if cs is None or "seed" not in cs.params:
        return item.nodeid
    tag = f"seed{cs.params['seed']}"
    nid = item.nodeid.replace(f"-{tag}]", "]").replace(f"[{tag}-", "[").replace(f"[{tag}]", "")
    return nid


@pytest.fixture
def seed(request) -> int:
    """Root seed of this claim (``--claim-seed`` / ``TWOLAYER_SEED``, or one of ``--claim-seeds``)."""
    if hasattr(request, "param"):
        return int(request.param)
    return claim_seed(request.config)


@pytest.fixture
def claim(request, seed):
    """The :class:`ClaimRecord` of this test, filled from its ``claim`` marker."""
    m = request.node.get_closest_marker("claim")
    kw = dict(m.kwargs) if m else {}
    doc = (request.node.function.__doc__ or "").strip().split("\n\n")[0]
    rec = ClaimRecord(request.node.nodeid, kw.get("paper", ""), kw.get("arxiv", ""), kw.get("ref", ""),
                      " ".join(doc.split()), seed, base=_base_id(request.node),
                      links=list(getattr(request.node, "_claim_links", ())))
    t0 = time.perf_counter()
    _RECORDS.append(rec)
    request.node._claim_record = rec
    yield rec
    rec.duration_s = time.perf_counter() - t0
    if rec.figure_fn is not None and _draw_figures(request.config):
        try:
            rec.png = render_png(rec.figure_fn)
        except Exception as exc:  # noqa: BLE001 - any drawing error fails this claim, with its cause
            rec.figure_fn = None
            pytest.fail(f"the figure of this claim failed to draw: {exc!r}", pytrace=False)


def _draw_figures(config) -> bool:
    return bool(config.getoption("--check-figures", default=False) or os.environ.get("TWOLAYER_CHECK_FIGURES") == "1"
                or report_dir(config))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    rec = getattr(item, "_claim_record", None)
    if rec is None:
        return
    if rep.when == "teardown" and rep.failed:             # e.g. the figure failed to draw
        rec.outcome, rec.error = "error", (rec.error + "; " + str(rep.longrepr)[-1000:]).strip("; ")
        return
    if rep.when == "call" or (rep.when == "setup" and rep.outcome != "passed"):
        rec.outcome = "skipped" if rep.skipped else rep.outcome
        if rep.skipped and isinstance(rep.longrepr, tuple) and len(rep.longrepr) == 3:
            rec.error = f"skipped: {rep.longrepr[2]}"          # the reason, shown apart from failures
        if rep.failed:
            rec.error = str(rep.longrepr)[-3000:]
            # a failed assertion of a verdict is a "failed" claim; any other exception is an "error"
            failed_verdict = any(not v.passed for v in rec.verdicts)
            if not (call.excinfo is not None and call.excinfo.errisinstance(AssertionError) and failed_verdict):
                rec.outcome = "error"


def report_dir(config):
    return config.getoption("claim_report", default=None) or os.environ.get("TWOLAYER_REPORT") or None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _RECORDS:
        return
    n_claims = getattr(config, "_twolayer_n_claims", len({r.base for r in _RECORDS}))
    terminalreporter.section("claims")
    terminalreporter.write_line(claim_table(_RECORDS))
    terminalreporter.write_line(suite_rate_line(n_claims))
    heavy = getattr(config, "_twolayer_heavy", None)
    if heavy is not None:
        terminalreporter.write_line(f"heavy claims: {heavy[0]} of {heavy[1]} ran at this seed (--heavy-share {heavy[2]}); "
                                    f"the others run at other seeds")
    js = config.getoption("--claim-json", default=None)
    if js:
        tmp = f"{js}.partial"
        with open(tmp, "w") as fh:
            json.dump({"n_claims": n_claims, "alpha": stats.ALPHA, "records": [r.to_dict() for r in _RECORDS]}, fh)
        os.replace(tmp, js)
        terminalreporter.write_line(f"claim records written to {js}")
    d = report_dir(config)
    if d:
        path = write_report(_RECORDS, d, n_claims=n_claims)
        terminalreporter.write_line(f"report written to {path}")
