#!/usr/bin/env bash
# Set up (scripts/install.sh) and run the validation suite, writing the report to ./report
# (index.html, claims.md, one JSON and one PNG per claim). Extra arguments go to pytest,
# e.g. `bash scripts/validate.sh -m "slow or not slow"` for the long claims too,
# or TWOLAYER_SEED=7 to check the claims at another seed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python -m pytest validations --report report -q "$@"
