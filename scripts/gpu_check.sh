#!/usr/bin/env bash
# The prepared GPU run (issue 19): every gpu claim and test, the GPU benchmarks, and a summary.
#
#   scripts/gpu_check.sh OUT_DIR              # on the GPU machine (one H200): <= 8 minutes
#   scripts/gpu_check.sh --fetch-wheels       # here, once: the wheels the GPU machine lacks
#   scripts/gpu_check.sh --dry-run OUT_DIR    # here, on CPU: the same steps (the gpu items skip)
#
# What the GPU machine has and lacks (device/KINDS.md, 2026-11): Python 3.12 at
# /opt/torch/.venv/bin/python3 with torch 2.11 for CUDA 13, cupy-cuda13x, numba, scipy, pytest,
# hypothesis, matplotlib and tqdm; NOT array-api-compat and NOT asv, and no network. So
# `--fetch-wheels` downloads them (and asv's dependencies) for CPython 3.12 / x86-64 into
# .gpu_wheels/ (git-ignored), which the device call must carry:
#     run(command="bash scripts/gpu_check.sh $OUT", carry=[".gpu_wheels"], timeout_s=540)
# and this script installs them there from that folder, offline, when they are missing.
#
# Writes into OUT_DIR: junit.xml (pytest), report/ (the claim report: claims.md, index.html, one
# JSON per claim), asv.log (GPU benchmark timings and GPU peak memory), env.txt and summary.md.
# Each step has its own time limit, so the whole run ends within 8 minutes whatever hangs.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
PY=${PYTHON:-$(command -v /opt/torch/.venv/bin/python3 || command -v python3)}
WHEELS=.gpu_wheels

if [ "${1:-}" = "--fetch-wheels" ]; then
    mkdir -p "$WHEELS"
    "$PY" -m pip download -q --no-deps -d "$WHEELS" array-api-compat
    "$PY" -m pip download -q -d "$WHEELS" --python-version 3.12 --platform manylinux2014_x86_64 \
        --only-binary=:all: asv
    ls "$WHEELS"
    exit 0
fi
DRY=0
if [ "${1:-}" = "--dry-run" ]; then DRY=1; shift; fi
OUT=${1:?usage: scripts/gpu_check.sh [--dry-run] OUT_DIR}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" MPLBACKEND=Agg
start=$(date +%s)
elapsed() { echo $(( $(date +%s) - start )); }

# --- 0. environment, and the missing packages from the carried wheels ---------------------------
{
    echo "date: $(date -u +%FT%TZ)   commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')   dry run: $DRY"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    "$PY" - <<'EOF'
import platform
print("python", platform.python_version())
for m in ("numpy", "scipy", "numba", "torch", "cupy", "array_api_compat", "asv"):
    try:
        mod = __import__(m)
        extra = ""
        if m == "torch":
            extra = f" cuda={mod.cuda.is_available()}" + (f" {mod.cuda.get_device_name(0)}" if mod.cuda.is_available() else "")
        print(f"{m} {getattr(mod, '__version__', '?')}{extra}")
    except Exception as exc:  # noqa: BLE001
        print(f"{m} MISSING ({type(exc).__name__})")
EOF
} > "$OUT/env.txt" 2>&1
for pkg in array_api_compat asv; do
    if ! "$PY" -c "import $pkg" 2>/dev/null; then
        if [ -d "$WHEELS" ]; then
            "$PY" -m pip install -q --no-index --find-links "$WHEELS" "${pkg//_/-}" >> "$OUT/env.txt" 2>&1 \
                && echo "installed $pkg from $WHEELS" >> "$OUT/env.txt"
        else
            echo "$pkg is missing and $WHEELS was not carried (run scripts/gpu_check.sh --fetch-wheels here)" >> "$OUT/env.txt"
        fi
    fi
done
cat "$OUT/env.txt"

# --- 1. every gpu test and claim (limit 240 s) -------------------------------------------------
echo "== pytest -m gpu ($(elapsed) s)"
timeout 240 "$PY" -m pytest tests validations -m gpu -q -rs -p no:cacheprovider \
    --junitxml="$OUT/junit.xml" --report "$OUT/report" 2>&1 | tail -n 60 | tee "$OUT/pytest.log"
pytest_rc=${PIPESTATUS[0]}

# --- 2. the GPU benchmarks (limit 200 s): the benchmarks with a backend parameter, on numpy, torch:cuda
#        and cupy (GPU against CPU in the same run), and GPU peak memory; --quick = one sample each,
#        printed in asv.log (asv keeps no --quick results)
echo "== asv GPU benchmarks ($(elapsed) s)"
if "$PY" -c "import asv" 2>/dev/null; then
    "$PY" -m asv machine --yes --machine gpu-check >/dev/null 2>&1
    # only the benchmarks with a backend parameter, on numpy (the CPU reference) and the two GPU
    # backends (benchmarks.backend_params reads TWOLAYER_BENCH_BACKENDS)
    TWOLAYER_BENCH_BACKENDS=numpy,torch:cuda,cupy timeout 200 "$PY" -m asv run --python=same --quick \
        --show-stderr --machine gpu-check \
        --bench '\.(SGDStep|InitEnsemble|MixtureSGD|RFSGD|MixtureSample|Relu1DBackends|WideForward|WideNTK|WideTraining|GPUPeakMemory)\.' 2>&1 | tee "$OUT/asv.log" | tail -n 40
    asv_rc=${PIPESTATUS[0]}
else
    echo "asv is not installed: GPU benchmarks not run" | tee "$OUT/asv.log"
    asv_rc=127
fi

# --- 3. summary ---------------------------------------------------------------------------------
echo "== summary ($(elapsed) s)"
"$PY" - "$OUT" "$pytest_rc" "$asv_rc" "$(elapsed)" "$DRY" <<'EOF'
import sys, xml.etree.ElementTree as ET
from pathlib import Path
out, prc, arc, secs, dry = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "1"
lines = [f"# GPU check{' (dry run on CPU)' if dry else ''}", "", f"wall time {secs} s; pytest exit {prc}; asv exit {arc}", ""]
try:
    root = ET.parse(out / "junit.xml").getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    tot = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
    lines.append(f"tests {tot['tests']}, failures {tot['failures']}, errors {tot['errors']}, skipped {tot['skipped']}")
    lines += ["", "| test | outcome | time (s) |", "|---|---|---|"]
    for case in root.iter("testcase"):
        kind = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
        lines.append(f"| {case.get('classname', '')}::{case.get('name')} | {kind} | {float(case.get('time', 0)):.1f} |")
except (OSError, ET.ParseError) as exc:
    lines.append(f"no junit.xml ({exc})")
claims = out / "report" / "claims.md"
if claims.exists():
    lines += ["", "## Claim table", "", *claims.read_text().splitlines()[2:]]
(out / "summary.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines[:12]))
EOF
echo "done in $(elapsed) s; results in $OUT"
[ "$pytest_rc" = 0 ] || [ "$pytest_rc" = 5 ]
