"""First-call cost of the main entry points in a fresh environment (issue 22, cold start)

    python scripts/cold_start.py [--json FILE] [ENTRY ...]

Each entry point runs a tiny problem in a new Python process, twice:

- *cold*: with an empty numba cache (``NUMBA_CACHE_DIR`` set to a new directory), so the time
  includes importing the package and compiling every kernel the call needs, as on a fresh install;
- *warm*: a second new process with the same cache directory, so numba loads the compiled
  kernels from disk (what every later session pays).

Reported per entry point: the cold and warm wall time of the call itself (imports timed
separately) and the import time. The machine's load changes the absolute numbers; compare cold
with warm in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

from twolayer._warmup import ENTRIES, first_call_seconds

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("entries", nargs="*", help=f"default: all of {', '.join(ENTRIES)}")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args(argv)
    unknown = [e for e in a.entries if e not in ENTRIES]
    if unknown:
        ap.error(f"unknown entry point(s) {unknown}; known: {', '.join(ENTRIES)}")
    env = dict(os.environ)
    rows = {}
    print(f"{'entry point':26s} {'import s':>9s} {'cold call s':>12s} {'warm call s':>12s}")
    for entry in a.entries or list(ENTRIES):
        with tempfile.TemporaryDirectory(prefix="twolayer-cold-") as cache:
            imp, cold = first_call_seconds(entry, cache, env)
            _, warm = first_call_seconds(entry, cache, env)
        rows[entry] = {"import_s": imp, "cold_call_s": cold, "warm_call_s": warm}
        print(f"{entry:26s} {imp:9.2f} {cold:12.2f} {warm:12.2f}", flush=True)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
