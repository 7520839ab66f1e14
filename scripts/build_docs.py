"""Build the API documentation from the docstrings, with the claim gallery: one command.

    .venv/bin/python scripts/build_docs.py [OUT] [--report DIR]

- ``OUT/api/``: every public module of ``twolayer``, ``theory`` and ``sims`` (names without a
  leading underscore, subpackages included), rendered by pdoc from the numpydoc docstrings. Any
  warning pdoc raises (an unresolvable reference, a docstring it cannot parse) fails the build.
- ``OUT/claims/``: the claim gallery, a copy of a validation report (``--report DIR``, e.g. the one
  ``pytest validations --report DIR`` writes): every claim with its verdicts and its figure.
- ``OUT/index.html``: links to both.

pdoc comes with the ``docs`` extra (``pip install -e '.[docs]'``, which ``scripts/install.sh``
installs); the script installs pdoc alone when it is missing. CI builds ``ci-artifacts/docs``.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("twolayer", "theory", "sims")


def public_modules(packages=PACKAGES) -> list[str]:
    """Every importable module of ``packages`` whose dotted name has no part starting with '_'."""
    out = []
    for pkg in packages:
        mod = importlib.import_module(pkg)
        out.append(pkg)
        for info in pkgutil.walk_packages(mod.__path__, prefix=pkg + "."):
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                if importlib.import_module(info.name).__name__ != info.name:
                    continue            # a deprecated alias of a module documented under its own name
            out.append(info.name)
    return sorted(set(out))


def _ensure_pdoc():
    try:
        import pdoc  # noqa: F401
    except ImportError:
        print("pdoc missing: installing pdoc (the docs extra)", flush=True)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "pdoc>=14"])
        importlib.invalidate_caches()


def build(out: Path, report: Path | None = None) -> list[str]:
    """Write the site into ``out``; returns the documented modules. Raises on any pdoc warning."""
    _ensure_pdoc()
    import pdoc
    import pdoc.render
    os.environ.setdefault("MPLBACKEND", "Agg")
    mods = public_modules()         # imported here, under the default warning filters: the build
    for m in mods:                  # fails on pdoc's warnings, not on a dependency's at import
        importlib.import_module(m)
    api = out / "api"
    shutil.rmtree(api, ignore_errors=True)
    pdoc.render.configure(docformat="numpy", footer_text="twolayer")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # every module is named explicitly (a package with __all__ hides its submodules from pdoc's
        # own walk); the repeats this causes for packages without __all__ are not problems
        warnings.filterwarnings("ignore", message=r"The module specification .* adds a module named .* but a "
                                                  r"module with this name has already been added")
        pdoc.pdoc(*mods, output_directory=api)
    links = ["<li><a href='api/index.html'>API reference</a> "
             f"({len(mods)} modules of {', '.join(PACKAGES)}, from their docstrings)</li>"]
    if report is not None:
        if not (report / "index.html").exists():
            raise SystemExit(f"--report {report}: no index.html there (run pytest validations --report {report})")
        if report.resolve() != (out / "claims").resolve():
            shutil.rmtree(out / "claims", ignore_errors=True)
            shutil.copytree(report, out / "claims")
        links.append("<li><a href='claims/index.html'>Claim gallery</a> (every claim: statement, verdicts, "
                     "figure)</li>")
    (out / "index.html").write_text(
        "<html><head><meta charset='utf-8'><title>twolayer documentation</title></head>"
        "<body style='font-family:sans-serif;max-width:800px;margin:auto'><h1>twolayer</h1>"
        "<p>Theory of two-layer networks checked against simulation.</p><ul>" + "".join(links) +
        "</ul><p>Design and conventions: docs/DESIGN.md; formulas and pitfalls: docs/THEORY.md.</p></body></html>")
    return mods


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/build_docs.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default="site", help="output directory (default ./site)")
    ap.add_argument("--report", help="a validation report directory to include as the claim gallery")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    mods = build(out, Path(a.report) if a.report else None)
    print(f"documentation: {out / 'index.html'} ({len(mods)} modules)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
