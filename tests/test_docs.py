"""docs/: the design map and the theory reference live in the repository, and every citation resolves."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _sections(name: str, pattern: str) -> set:
    text = (ROOT / "docs" / name).read_text()
    return set(re.findall(pattern, text, flags=re.M))


def _tracked_sources():
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "*.py", "*.md", "*.sh"], capture_output=True, text=True)
    files = out.stdout.split() if out.returncode == 0 else []
    if not files:                     # not a git checkout (an sdist): every source file
        files = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.suffix in (".py", ".md", ".sh")
                 and ".venv" not in p.parts]
    return [ROOT / f for f in files]


def test_every_citation_of_the_docs_names_a_section_that_exists():
    design = _sections("DESIGN.md", r"^## (\d+)\.")
    theory = _sections("THEORY.md", r"^## ([A-Z])\.")
    assert design >= {"1", "3", "5", "7"} and theory >= {"A", "B", "C", "D", "E"}
    cited, bad = 0, []
    for path in _tracked_sources():
        text = path.read_text(errors="replace")
        for m in re.finditer(r"docs/DESIGN\.md,? section (\d+)", text):
            cited += 1
            if m.group(1) not in design:
                bad.append(f"{path.name}: DESIGN.md section {m.group(1)}")
        for m in re.finditer(r"docs/THEORY\.md,? (?:section )?([A-Z])\b", text):
            cited += 1
            if m.group(1) not in theory:
                bad.append(f"{path.name}: THEORY.md {m.group(1)}")
        if re.search(r"\.\./shared/(DESIGN|THEORY)\.md", text) and path.name != "test_docs.py":
            bad.append(f"{path.name}: cites the copy outside the repository")
    assert cited >= 30, f"only {cited} citations found"
    assert not bad, bad


def test_api_docs_cover_every_public_module_and_no_private_one():
    import importlib.util
    import pathlib
    spec = importlib.util.spec_from_file_location("build_docs", pathlib.Path(__file__).resolve().parents[1] /
                                                  "scripts" / "build_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mods = mod.public_modules()
    assert {"twolayer.claims.stats", "twolayer.plots", "theory.relu1d.reduced", "sims.teacher_student",
            "sims.mixture_sgd"} <= set(mods)
    assert not [m for m in mods if any(p.startswith("_") for p in m.split("."))]
