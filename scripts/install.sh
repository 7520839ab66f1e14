#!/usr/bin/env bash
# Create ./.venv (fresh with --fresh) and install twolayer with its test, benchmark, plot, sweep and docs extras.
# torch is optional: it is installed only from a local wheel (pip's configured find-links) with
# --no-index, so a CPU machine is never made to download CUDA wheels; without a local wheel the
# torch backend is simply absent and its tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ "${1:-}" = "--fresh" ]; then rm -rf .venv; fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "${TWOLAYER_NO_TORCH:-0}" != "1" ]; then
  probe=$(mktemp -d)
  if .venv/bin/python -m pip download -q --no-index --no-deps -d "$probe" torch==2.13.0 >/dev/null 2>&1; then
    # a local wheel (pip's find-links) exists: `pip install torch==2.13.0` takes it (the +cpu build),
    # its small pure-Python dependencies come from the index
    .venv/bin/python -m pip install -q torch==2.13.0 && echo "torch 2.13.0 installed from the local wheel"
  else
    echo "torch: no local wheel; the torch backend stays optional (install the torch build you want)"
  fi
  rm -rf "$probe"
fi
.venv/bin/python -m pip install -q -e ".[test,bench,plot,sweep,docs]"
.venv/bin/python -c "import theory, sims; from sims import available_backends; print('backends:', available_backends())"
# compile every numba kernel of the main entry points into the on-disk cache now, so that no first
# call pays it later (scripts/cold_start.py measures both)
.venv/bin/twolayer warmup
