#!/usr/bin/env bash
# The GPU check, unattended (about 8 minutes on one GPU): equality of the GPU's computation with the CPU's (the tests
# marked gpu), training speed per mode and kernel form at the paper's batch with peak memory, and the hours of a
# paper run and of the grid on this GPU, into OUT_DIR/gpu_check.json and OUT_DIR/gpu_check.md
# (scripts/bench/gpu_check.py). On a GPU server, after scripts/setup.sh and the CUDA build of TensorFlow (README
# "GPU servers"); CUDA_VISIBLE_DEVICES picks the GPU (two visible: the two-replica test runs across both).
#   bash scripts/gpu_check.sh OUT_DIR [--device cpu] [more scripts/bench/gpu_check.py flags]
# Without a GPU it says so in one line and exits 0; --device cpu writes the same report from the CPU.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY=python3; fi
exec "$PY" "$ROOT/scripts/bench/gpu_check.py" "$@"
