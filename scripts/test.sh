#!/usr/bin/env bash
# Install (scripts/setup.sh) and run the whole test suite on all cores. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=3
exec .venv/bin/python -m pytest -q -n "${TEST_JOBS:-2}" "$@"
