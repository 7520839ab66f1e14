"""Claim records and the report directory (docs/DESIGN.md section 5).

Each validation test is one claim, marked ``@pytest.mark.claim(paper=..., arxiv=..., ref=...)``.
The ``claim`` fixture hands it a :class:`ClaimRecord`; ``claim.check(verdict)`` records the
verdict and fails the test at once if the verdict failed; ``claim.figure(fn)`` registers a
function that draws the theory-vs-simulation figure (called only when a report is written).

With ``--report DIR`` (or ``TWOLAYER_REPORT=DIR``) the session writes
``DIR/<claim>.json`` (metadata, every verdict, outcome), ``DIR/<claim>.png`` and
``DIR/index.html`` + ``DIR/claims.md`` (the claim table).
"""
from __future__ import annotations

import html
import json
import os
import re
import time
from dataclasses import dataclass, field

from . import stats
from .stats import Verdict, require

__all__ = ["ClaimRecord", "write_report", "claim_table", "summary_table", "suite_rate_line"]


@dataclass
class ClaimRecord:
    """Everything one claim produced during its test."""

    nodeid: str
    paper: str = ""
    arxiv: str = ""
    ref: str = ""
    statement: str = ""
    seed: int = 0
    verdicts: list = field(default_factory=list)
    figure_fn: object = None
    outcome: str = "not run"
    duration_s: float = 0.0
    error: str = ""
    base: str = ""
    png: bytes | None = None
    links: list = field(default_factory=list)    # what the claim checks: resolve_links(marker kwargs)

    def __post_init__(self):
        if not self.base:
            self.base = self.nodeid

    def check(self, verdict: Verdict) -> Verdict:
        """Record ``verdict`` and raise AssertionError if it failed."""
        self.verdicts.append(verdict)
        return require(verdict)

    def figure(self, fn) -> None:
        """Register ``fn() -> matplotlib.figure.Figure`` drawing this claim's figure."""
        self.figure_fn = fn

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", self.nodeid.split("::", 1)[-1]).strip("_")

    def to_dict(self) -> dict:
        return {"test": self.nodeid, "base": self.base, "paper": self.paper, "arxiv": self.arxiv, "ref": self.ref,
                "claim": self.statement, "seed": self.seed, "outcome": self.outcome,
                "duration_s": round(self.duration_s, 3), "error": self.error, "links": list(self.links),
                "verdicts": [v.to_dict() for v in self.verdicts]}


LINK_KINDS = ("theory", "sims")


def resolve_links(theory=(), sims=()) -> list:
    """Resolve a claim's ``theory=`` and ``sims=`` targets ("module:qualname") to their source.

    Returns one dict per target: ``kind`` ("theory" or "sims"), ``target``, ``file`` (path relative
    to the working directory when below it) and ``line``. Raises ValueError naming the target
    when it does not import or has no such attribute, so that a typo fails at collection.
    """
    import importlib
    import inspect
    out = []
    for kind, targets in (("theory", theory), ("sims", sims)):
        if isinstance(targets, str):
            targets = (targets,)
        for t in targets:
            if not isinstance(t, str) or t.count(":") != 1:
                raise ValueError(f"{kind}={t!r}: a claim target is 'module:qualname', e.g. "
                                 "'theory.committee_ode:CommitteeODE'")
            mod, qual = t.split(":")
            try:
                obj = importlib.import_module(mod)
                for part in qual.split("."):
                    obj = getattr(obj, part)
            except Exception as exc:  # noqa: BLE001 - any failure to import or find it is the marker's error
                raise ValueError(f"{kind} target {t!r} does not resolve: {type(exc).__name__}: {exc}") from None
            fn = inspect.unwrap(obj.fget if isinstance(obj, property) else obj)
            try:
                file, line = inspect.getsourcefile(fn), inspect.getsourcelines(fn)[1]
            except (TypeError, OSError):
                file, line = None, None
            if file is not None:
                try:
                    rel = os.path.relpath(file)
                except ValueError:          # another drive (Windows): keep the absolute path
                    rel = file
                file = rel if not rel.startswith("..") else file
            out.append({"kind": kind, "target": t, "file": file, "line": line})
    return out


def render_png(fn) -> bytes:
    """Call a figure function ``fn() -> Figure`` and return the PNG bytes (Agg backend)."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = fn()
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        return buf.getvalue()
    finally:
        plt.close(fig)


def _shown_prediction(v: Verdict) -> str:
    if v.null == "one-sided":
        return f"{v.details.get('side', '')} {v.prediction:.4g}"
    return f"{v.prediction:.4g}"


def _accepted(v: Verdict) -> str:
    """The region of the statistic that passes: an interval for point nulls, a half-line with its
    direction for one-sided claims (blank where the rule is not an interval of the statistic)."""
    if v.details.get("accepted") is not None:
        lo, hi = v.details["accepted"]
        return f"[{lo:.4g}, {hi:.4g}]"
    if v.null in ("point", "family") and v.details.get("n_elements", 1) in (1, None):
        return f"[{v.prediction - v.tolerance:.4g}, {v.prediction + v.tolerance:.4g}]"
    if v.null == "one-sided":
        side = v.details.get("side", "")
        if side == "<=":
            return f"<= {v.prediction + v.tolerance:.4g} (claim <= {v.prediction:.4g})"
        if side == ">=":
            return f">= {v.prediction - v.tolerance:.4g} (claim >= {v.prediction:.4g})"
    return ""


_FAILED = ("failed", "error")


def summary_table(records) -> list[tuple]:
    """Per paper: (paper, claims, passed, failed, skipped, seconds), distinct claims counted by
    test id, failed including errors; the last row is the total."""
    by = {}
    for r in records:
        row = by.setdefault(r.paper or "(no paper)", {"ids": set(), "passed": 0, "failed": 0, "skipped": 0, "s": 0.0})
        row["ids"].add(r.nodeid)
        key = "failed" if r.outcome in _FAILED else ("skipped" if r.outcome == "skipped" else
                                                     "passed" if r.outcome == "passed" else None)
        if key:
            row[key] += 1
        row["s"] += r.duration_s
    rows = [(paper, len(d["ids"]), d["passed"], d["failed"], d["skipped"], d["s"]) for paper, d in sorted(by.items())]
    total = tuple(sum(r[i] for r in rows) for i in range(1, 6))
    return rows + [("total", *total)]


def _summary_md(records) -> str:
    lines = ["| paper | claims | passed | failed | skipped | time (s) |", "|---|---|---|---|---|---|"]
    for paper, n, ok, bad, skip, t in summary_table(records):
        lines.append(f"| {paper} | {n} | {ok} | {bad} | {skip} | {t:.1f} |")
    return "\n".join(lines)


def claim_table(records) -> str:
    """Markdown table: claim, paper, statistic vs prediction, tolerance, MDD, p-value, outcome."""
    rows = ["| claim | paper | statistic | prediction | accepted | tolerance | MDD | p | outcome |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        first = True
        for v in r.verdicts or [None]:
            name = r.slug if first else ""
            paper = f"{r.paper} (arXiv:{r.arxiv})" if first and r.arxiv else (r.paper if first else "")
            if v is None:
                rows.append(f"| {name} | {paper} | | | | | | | {r.outcome} |")
            else:
                p = "" if v.p_value is None else f"{v.p_value:.3g}"
                rows.append(f"| {name} | {paper} | {v.name}: {v.statistic:.4g} | {_shown_prediction(v)} | "
                            f"{_accepted(v)} | {v.tolerance:.3g} | {v.mdd:.3g} | {p} | {'pass' if v.passed else 'FAIL'} |")
            first = False
    return "\n".join(rows)


def suite_rate_line(n_claims: int) -> str:
    """One sentence: the run's designed chance-failure rate."""
    return (f"{n_claims} claims at alpha = {stats.ALPHA:g} each: this run fails by chance with probability "
            f"<= {n_claims * stats.ALPHA:.2%} (budget {stats.CLAIM_BUDGET} claims, {stats.SUITE_ALPHA:.0%}).")


def _manifest(seed):
    try:
        from twolayer.provenance import manifest
        return manifest(seed=seed)
    except Exception as exc:  # noqa: BLE001 - provenance must not cost the verdicts
        return {"error": repr(exc)}


def _manifest_html(man: dict) -> str:
    tl = man.get("twolayer", {})
    pk = ", ".join(f"{k} {v}" for k, v in man.get("packages", {}).items())
    th = man.get("threads", {}).get("environment") or {}
    rows = [("commit", f"{tl.get('commit')}{' (uncommitted changes)' if tl.get('dirty') else ''}"),
            ("twolayer", tl.get("version")), ("python", man.get("python")), ("platform", man.get("platform")),
            ("cores", man.get("cpu_count")), ("packages", pk), ("threads", ", ".join(f"{k}={v}" for k, v in th.items())),
            ("seed", man.get("seed")), ("command", " ".join(man.get("command", []))), ("started", man.get("started"))]
    return ("<details><summary>provenance</summary><table>" + "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows) + "</table></details>")


def _link_html(ln: dict) -> str:
    what = {"theory": "checks the theory", "sims": "simulated by"}.get(ln["kind"], ln["kind"])
    where = ""
    if ln.get("file"):
        url = "file://" + os.path.abspath(ln["file"]).replace(os.sep, "/")
        where = f" (<a href='{html.escape(url, quote=True)}'>{html.escape(ln['file'])}:{ln.get('line')}</a>)"
    return f"{what} <code>{html.escape(ln['target'])}</code>{where}"


# the paper filter: the select and the page's #paper=NAME hash show one paper's claims
_FILTER_JS = """<script>
(function () {
  var sel = document.getElementById('paper');
  function show(p) {
    var skipped = 0;
    document.querySelectorAll('div.claim').forEach(function (d) {
      var on = !p || d.dataset.paper === p;
      d.style.display = on ? '' : 'none';
      if (on && d.classList.contains('skipped-claim')) { skipped += 1; }
    });
    var h = document.getElementById('skipped-heading');
    if (h) { h.style.display = skipped ? '' : 'none'; }
    sel.value = p;
  }
  function fromHash() {
    var m = /^#paper=(.*)$/.exec(window.location.hash), p = '';
    if (m) { try { p = decodeURIComponent(m[1]); } catch (e) { p = ''; } }
    show(p);
  }
  sel.addEventListener('change', function () {
    window.location.hash = sel.value ? 'paper=' + encodeURIComponent(sel.value) : '';
    show(sel.value);
  });
  window.addEventListener('hashchange', fromHash);
  fromHash();
})();
</script>"""


def write_report(records, directory: str, n_claims: int | None = None) -> str:
    """Write JSON + PNG per claim, ``manifest.json`` and an index (html and markdown); returns the index path.

    The index opens with a summary per paper (claims, passed, failed, skipped, time), the suite's
    chance-failure rate and the provenance manifest (:func:`twolayer.provenance.manifest`); then
    the failed claims, the passed ones and, apart, the skipped ones with their reason.
    """
    os.makedirs(directory, exist_ok=True)
    seeds = sorted({r.seed for r in records})
    man = _manifest(seeds[0] if len(seeds) == 1 else seeds)
    with open(os.path.join(directory, "manifest.json"), "w") as fh:
        json.dump(man, fh, indent=1, default=str)
    entries = []
    for r in records:
        png = None
        if r.png is None and r.figure_fn is not None:
            try:
                r.png = render_png(r.figure_fn)
            except Exception as exc:  # a broken figure must not hide the verdicts
                r.error = (r.error + f"; figure failed: {exc!r}").strip("; ")
        if r.png is not None:
            png = f"{r.slug}.png"
            with open(os.path.join(directory, png), "wb") as fh:
                fh.write(r.png)
        d = r.to_dict()
        d["figure"] = png
        with open(os.path.join(directory, f"{r.slug}.json"), "w") as fh:
            json.dump(d, fh, indent=2)
        entries.append((r, png))
    md = claim_table(records)
    rate = suite_rate_line(len({r.base for r in records}) if n_claims is None else n_claims)
    with open(os.path.join(directory, "claims.md"), "w") as fh:
        tl = man.get("twolayer", {})
        fh.write(f"# twolayer claim table ({time.strftime('%Y-%m-%d %H:%M')})\n\n{_summary_md(records)}\n\n{rate}\n\n"
                 f"commit {tl.get('commit')}{' (uncommitted changes)' if tl.get('dirty') else ''}, seeds {seeds}; "
                 f"provenance in manifest.json\n\n{md}\n")
    parts = ["<html><head><meta charset='utf-8'><title>twolayer validation report</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}td,th{border:1px solid #ccc;"
             "padding:3px 6px}table{border-collapse:collapse}.FAIL,.failed,.error{color:#b00}.pass,.passed{color:#070}"
             ".skipped{color:#888}</style></head><body>",
             "<h1>twolayer validation report</h1>"]
    parts.append("<table><tr><th>paper</th><th>claims</th><th>passed</th><th>failed</th><th>skipped</th>"
                 "<th>time (s)</th></tr>")
    for paper, n, ok, bad, skip, t in summary_table(records):
        parts.append(f"<tr><td>{html.escape(paper)}</td><td>{n}</td><td class='passed'>{ok}</td>"
                     f"<td class='{'failed' if bad else ''}'>{bad}</td><td class='skipped'>{skip}</td><td>{t:.1f}</td></tr>")
    parts.append("</table>")
    parts += [f"<p>{html.escape(rate)}</p>", _manifest_html(man)]
    papers = sorted({r.paper for r in records})
    parts.append("<p><label>Show the claims of <select id='paper'><option value=''>every paper</option>"
                 + "".join(f"<option value='{html.escape(p, quote=True)}'>{html.escape(p)}</option>" for p in papers)
                 + "</select></label> (or open this page with <code>#paper=NAME</code>)</p>")
    order = {"failed": 0, "error": 0, "passed": 1, "skipped": 2}
    entries.sort(key=lambda e: order.get(e[0].outcome, 1))
    shown_skip = False
    for r, png in entries:
        if r.outcome == "skipped" and not shown_skip:
            parts.append("<h1 class='skipped' id='skipped-heading'>Skipped (not run here; not failures)</h1>")
            shown_skip = True
        parts.append(f"<div class='claim{' skipped-claim' if r.outcome == 'skipped' else ''}' "
                     f"data-paper='{html.escape(r.paper, quote=True)}'>")
        parts.append(f"<h2 class='{html.escape(r.outcome)}'>{html.escape(r.slug)} — {r.outcome}</h2>")
        parts.append(f"<p><b>{html.escape(r.paper)}</b> arXiv:{html.escape(r.arxiv)} {html.escape(r.ref)}<br>"
                     f"{html.escape(r.statement)}<br>seed {r.seed}, {r.duration_s:.1f} s</p>")
        if r.links:
            parts.append("<p class='links'>" + "<br>".join(_link_html(ln) for ln in r.links) + "</p>")
        parts.append("<table><tr><th>assertion</th><th>null</th><th>statistic</th><th>prediction</th><th>accepted</th>"
                     "<th>tolerance</th><th>MDD</th><th>p</th><th>result</th></tr>")
        for v in r.verdicts:
            p = "" if v.p_value is None else f"{v.p_value:.3g}"
            parts.append(f"<tr><td>{html.escape(v.name)}</td><td>{v.null}</td><td>{v.statistic:.5g}</td>"
                         f"<td>{html.escape(_shown_prediction(v))}</td><td>{html.escape(_accepted(v))}</td>"
                         f"<td>{v.tolerance:.3g}</td><td>{v.mdd:.3g}</td>"
                         f"<td>{p}</td><td>{'pass' if v.passed else 'FAIL'}</td></tr>")
        parts.append("</table>")
        if r.error:
            parts.append(f"<pre>{html.escape(r.error[:2000])}</pre>")
        if png:
            parts.append(f"<img src='{png}' style='max-width:100%'>")
        parts.append("</div>")
    parts.append(_FILTER_JS)
    parts.append("</body></html>")
    path = os.path.join(directory, "index.html")
    with open(path, "w") as fh:
        fh.write("\n".join(parts))
    return path
