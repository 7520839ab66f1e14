"""Benchmark history kept in the repository: ``python -m benchmarks.history``.

asv results of the project's reference machine (2 cores, like CI) live in ``asv_results/``, one small
JSON file per commit, and the dashboard (``python -m benchmarks.dashboard``) is built from them.

How a past commit is measured: its tree is checked out in a temporary git worktree, and asv runs
*this* checkout's benchmark suite in the current environment (``--python=same``) with the old
tree's ``sims`` and ``theory`` first on the path (``ASV_PYTHONPATH``), recording the result under the
old commit's hash (``--set-commit-hash``). A benchmark that uses an API the old tree lacks fails and
leaves a gap in its graph, as asv shows any failure.

Commands::

    python -m benchmarks.history                 # add the current commit (HEAD)
    python -m benchmarks.history --last 15       # the last 15 commits of main that are missing
    python -m benchmarks.history 4e87e71^ HEAD   # given revisions
    python -m benchmarks.history --bench GateRatios --last 30

The machine is set up on first use (``asv machine --yes --machine NAME``), so the commands work on a
fresh clone. Results for a commit that already has them are skipped unless ``--force``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MACHINE = "reference-2core"


def _git(*args, cwd=ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _asv(*args, env=None, cwd=ROOT) -> int:
    exe = Path(sys.executable).with_name("asv")
    cmd = [str(exe) if exe.exists() else "asv", *args]
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=cwd, env=env).returncode


def results_dir() -> Path:
    """The asv results directory named in ``asv.conf.json``."""
    conf = json.loads((ROOT / "asv.conf.json").read_text())
    return ROOT / conf["results_dir"]


def ensure_machine(name: str = MACHINE) -> None:
    """Register ``name`` with asv (non-interactive) unless this user's asv already knows it."""
    known = {}
    path = Path.home() / ".asv-machine.json"
    if path.exists():
        known = json.loads(path.read_text())
    if name not in known:
        if _asv("machine", "--yes", "--machine", name) != 0:
            raise RuntimeError(f"asv machine --machine {name} failed")


def measured(commit: str, machine: str = MACHINE) -> bool:
    """Whether ``asv_results/<machine>/`` has a result file for ``commit``."""
    d = results_dir() / machine
    return d.is_dir() and any(p.name.startswith(commit[:8] + "-") for p in d.glob("*.json"))


def resolve_revs(revs, last: int | None) -> list[str]:
    """Full hashes, oldest first: the given revisions, or the last ``last`` commits of HEAD."""
    if last is not None:
        if last < 1:
            raise ValueError(f"--last must be >= 1, got {last}")
        hashes = _git("rev-list", f"--max-count={last}", "HEAD").split()
        return hashes[::-1]
    out = []
    for r in revs or ["HEAD"]:
        try:
            out.append(_git("rev-parse", "--verify", f"{r}^{{commit}}"))
        except subprocess.CalledProcessError:
            raise ValueError(f"unknown revision {r!r}") from None
    return out


def run_commit(commit: str, *, machine: str = MACHINE, bench: list[str] = (), quick: bool = False,
               threads: int | None = None) -> int:
    """Benchmark ``commit``'s sims/theory with this checkout's suite; returns asv's exit code."""
    tmp = Path(tempfile.mkdtemp(prefix="twolayer-asv-"))
    tree = tmp / commit[:12]
    try:
        _git("worktree", "add", "--detach", str(tree), commit)
        env = dict(os.environ, ASV_PYTHONPATH=str(tree), TWOLAYER_TREE=str(tree))
        if threads is not None:                 # as the gate measures: one thread per pool
            from .gate import POOLS
            env.update({v: str(threads) for v in POOLS})
        args = ["run", "--python=same", f"--set-commit-hash={commit}", f"--machine={machine}", "--show-stderr"]
        for b in bench:
            args += ["--bench", b]
        if quick:
            args.append("--quick")
        return _asv(*args, env=env)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def cli(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.history",
                                 description="Add asv results of past or current commits to asv_results/ "
                                             "(this checkout's suite, the commit's sims/theory).")
    ap.add_argument("revs", nargs="*", help="revisions to measure (default: HEAD)")
    ap.add_argument("--last", type=int, help="measure the last N commits of HEAD instead")
    ap.add_argument("--bench", action="append", default=[], help="asv --bench regex (repeatable; default: all)")
    ap.add_argument("--machine", default=MACHINE, help="asv machine name (default: %(default)s)")
    ap.add_argument("--force", action="store_true", help="re-measure commits that already have results")
    ap.add_argument("--threads", type=int, help="threads per pool (Numba, BLAS, OpenMP); default: all")
    args = ap.parse_args(argv)
    try:
        commits = resolve_revs(args.revs, args.last)
    except ValueError as exc:
        ap.error(str(exc))
    ensure_machine(args.machine)
    todo = [c for c in commits if args.force or not measured(c, args.machine)]
    print(f"{len(commits)} commits, {len(todo)} to measure on machine {args.machine!r}", flush=True)
    failed = []
    for i, c in enumerate(todo, 1):
        print(f"[{i}/{len(todo)}] {_git('log', '-1', '--format=%h %s', c)[:100]}", flush=True)
        if run_commit(c, machine=args.machine, bench=args.bench, threads=args.threads) != 0:
            failed.append(c[:8])
    if failed:
        print(f"asv reported failures at {', '.join(failed)} (failed benchmarks leave gaps)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(cli())
