"""The package layout: the import graph has no cycle, and the layers import one way.

twolayer's ground floor (checks, errors, io, provenance, plots, claims) imports neither theory nor
sims (only the command line and the warm-up, which drive them, do); theory never imports sims.
Every import counts, the ones inside functions included.
"""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("twolayer", "theory", "sims", "validations", "benchmarks")


def _modules():
    mods = {}
    for pkg in PACKAGES:
        for p in (ROOT / pkg).rglob("*.py"):
            rel = p.relative_to(ROOT).with_suffix("")
            mods[".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)] = p
    return mods


def _targets(mods, cur, node):
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = cur.split(".")[: None if mods[cur].name == "__init__.py" else -1]
            base = base[: len(base) - (node.level - 1)]
            first = ".".join(base + ([node.module] if node.module else []))
        else:
            first = node.module or ""
        names = [first] + [f"{first}.{a.name}" for a in node.names]
    else:
        names = [a.name for a in node.names]
    out = set()
    for t in names:
        while t and t not in mods:
            t = t.rpartition(".")[0]
        if t and t != cur:
            out.add(t)
    return out


def _graph():
    mods = _modules()
    return {m: set().union(*[_targets(mods, m, n) for n in ast.walk(ast.parse(p.read_text()))
                             if isinstance(n, (ast.Import, ast.ImportFrom))] or [set()])
            for m, p in mods.items()}


def test_the_import_graph_has_no_cycle():
    G = _graph()
    state, stack, cycles = {}, [], []

    def visit(u):
        state[u] = 1
        stack.append(u)
        for v in sorted(G[u]):
            if state.get(v) == 1:
                cycles.append(" -> ".join(stack[stack.index(v):] + [v]))
            elif v not in state:
                visit(v)
        state[u] = 2
        stack.pop()
    for m in sorted(G):
        if m not in state:
            visit(m)
    assert not cycles, cycles
    assert "theory.relu1d.reduced" in G and "theory.relu1d.certificate" in G["theory.relu1d.reduced"]


def test_layers_import_one_way():
    bad = []
    for m, deps in _graph().items():
        for d in deps:
            if m.startswith("theory") and d.startswith("sims"):
                bad.append(f"{m} -> {d}")
            if m.startswith("twolayer") and m not in ("twolayer.cli", "twolayer._warmup") \
                    and d.startswith(("theory", "sims", "validations", "benchmarks")):
                bad.append(f"{m} -> {d}")
            if m.startswith(("theory", "sims")) and d.startswith(("validations", "benchmarks")):
                bad.append(f"{m} -> {d}")
    assert not bad, bad


def test_package_maps_list_every_module():
    """theory/ and sims/ docstrings name each of their modules (docs/DESIGN.md points to them)."""
    import importlib
    for pkg in ("theory", "sims"):
        doc = importlib.import_module(pkg).__doc__
        for p in sorted((ROOT / pkg).iterdir()):
            name = p.stem if p.suffix == ".py" else p.name if (p / "__init__.py").exists() else None
            if name and name != "__init__":
                assert name in doc, f"{pkg}/__init__.py does not list {name}"


def test_deprecated_import_paths_still_work_and_warn():
    """The modules that moved keep their old names as aliases of the one module object."""
    import importlib
    import sys
    import pytest
    for old, new in (("validations.stats", "twolayer.claims.stats"), ("validations.report", "twolayer.claims.report"),
                     ("validations.plotting", "twolayer.claims.plotting"),
                     ("theory.relu1d_certificate", "theory.relu1d.certificate")):
        sys.modules.pop(old, None)
        with pytest.warns(DeprecationWarning, match="moved to"):
            mod = importlib.import_module(old)
        assert mod is importlib.import_module(new)
