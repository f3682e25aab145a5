#!/usr/bin/env bash
# Install (scripts/setup.sh, and Chromium for the browser tests: scripts/install_browser.sh) and run the whole test
# suite on all cores, in an order shuffled afresh on every run (pytest-randomly): each test seeds its own draws
# (tests/conftest.py), so the order must not matter.
# TEST_ORDER_SEED=N repeats an order; extra arguments go to pytest (-p no:randomly keeps the file order;
# -m "not slow" is the fast tier, README "Tests"). With no arguments, CI's command: every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install_browser.sh  # Chromium for the browser tests, when missing
export TF_CPP_MIN_LOG_LEVEL=3
order=()
if [[ " $* " != *"no:randomly"* ]]; then
  seed="${TEST_ORDER_SEED:-$RANDOM}"
  echo "test order: shuffled with seed $seed (TEST_ORDER_SEED=$seed bash scripts/test.sh repeats it)"
  order=(--randomly-seed="$seed" --randomly-dont-reset-seed)  # the seeds are conftest's, per test
fi
exec .venv/bin/python -m pytest -q -n "${TEST_JOBS:-2}" "${order[@]}" "$@"
