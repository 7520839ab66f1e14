"""Census of bad-input handling at the public entry points (issue 18): ``python scripts/bad_input_census.py``.

Runs every generated case of ``tests/_bad_input_cases.py`` in a child process (one per entry
point, restarted after a hang) and counts, per entry point, the outcomes:

- ``named``   -- ValueError/TypeError whose message names the parameter (the goal);
- ``unnamed`` -- ValueError/TypeError that does not name it;
- ``obscure`` -- any other exception (AttributeError, ZeroDivisionError, numba typing errors, ...);
- ``silent``  -- returned a result without complaint;
- ``hang``    -- no answer within ``--timeout`` seconds (the child is killed).

``--json FILE`` writes every case's outcome; ``--tree DIR`` measures another checkout (its
``theory``/``sims`` first on the path), e.g. a worktree of an older commit.
"""
from __future__ import annotations

import argparse
import json
import os
import select
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTCOMES = ("named", "unnamed", "obscure", "silent", "hang")

CHILD = r'''
import sys, json
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from _bad_input_cases import generate
entry, start = sys.argv[3], int(sys.argv[4])
cases = [c for c in generate() if c.entry == entry]
for i, c in enumerate(cases[start:], start):
    try:
        c.call()
        out = "silent"
    except (ValueError, TypeError) as e:
        out = "named" if c.param in str(e) else "unnamed"
        msg = f"{type(e).__name__}: {e}"
    except BaseException as e:
        out, msg = "obscure", f"{type(e).__name__}: {e}"
    else:
        msg = ""
    print(json.dumps({"i": i, "id": c.id, "outcome": out, "message": msg[:300]}), flush=True)
print(json.dumps({"done": True}), flush=True)
'''


def run_entry(entry, n_cases, tree, timeout):
    results, start = [], 0
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    while start < n_cases:
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tree), str(ROOT / "tests"), entry, str(start)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=tree)
        nxt = start
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], timeout)
            if not ready:                                   # the current case hangs
                proc.kill()
                proc.wait()
                results.append({"i": nxt, "id": f"{entry}#{nxt}", "outcome": "hang", "message": f"> {timeout} s"})
                start = nxt + 1
                break
            line = proc.stdout.readline()
            if not line:                                    # the child died (a crash counts as obscure)
                proc.wait()
                results.append({"i": nxt, "id": f"{entry}#{nxt}", "outcome": "obscure",
                                "message": f"process died (exit {proc.returncode})"})
                start = nxt + 1
                break
            rec = json.loads(line)
            if rec.get("done"):
                proc.wait()
                return results
            results.append(rec)
            nxt = rec["i"] + 1
        if start >= n_cases:
            break
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", type=Path, default=ROOT, help="checkout whose theory/sims are measured")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds before a case counts as a hang")
    ap.add_argument("--json", type=Path, help="write every case's outcome here")
    args = ap.parse_args(argv)
    sys.path[:0] = [str(args.tree), str(ROOT / "tests")]
    from _bad_input_cases import generate
    per_entry = Counter(c.entry for c in generate())
    table, every = defaultdict(Counter), []
    for entry, n in per_entry.items():
        for rec in run_entry(entry, n, args.tree.resolve(), args.timeout):
            table[entry][rec["outcome"]] += 1
            every.append({"entry": entry, **rec})
        print(f"{entry:28s} " + " ".join(f"{o}={table[entry][o]}" for o in OUTCOMES), flush=True)
    tot = Counter()
    for c in table.values():
        tot.update(c)
    print(f"{'TOTAL':28s} " + " ".join(f"{o}={tot[o]}" for o in OUTCOMES))
    if args.json:
        args.json.write_text(json.dumps({"tree": str(args.tree), "cases": every}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
