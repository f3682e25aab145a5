#!/usr/bin/env bash
# On a GPU server, after scripts/setup.sh and the CUDA build of TensorFlow (README "Quick start"): which GPU
# TensorFlow sees, then the training speed of every configuration of the paper's grid at the paper's windows
# on one GPU (the batch rule: SASEGAN 50, the others 100) in each mode (default fp32, --xla, --mixed_precision bfloat16 and
# float16; bfloat16 is fast on Ampere and newer GPUs, float16 on Volta and newer) with each kernel form (tuned and
# native, common/nn/conv_kernels.py), and the hours a paper run
# and the whole grid would take on that GPU. Takes some minutes (each model is built and traced per mode,
# each configuration in a process of its own).
#   bash scripts/gpu_check.sh [more scripts/bench/train.py flags, e.g. --configs SEGAN ISEGAN-SA-2]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
"$PY" -c "
import sys
from common.system.quiet_tf import import_tensorflow
tf = import_tensorflow()
gpus = tf.config.list_physical_devices('GPU')
if not gpus:
    sys.exit('error: TensorFlow ' + tf.__version__ + ' sees no GPU (README \"Quick start\": GPU servers)')
for g in gpus:
    print(g.name, tf.config.experimental.get_device_details(g).get('device_name', ''))
"
# shellcheck disable=SC2046  # the grid's names are single words
exec "$PY" scripts/bench/train.py --configs $("$PY" scripts/named_config.py --paper) \
  --modes default xla bfloat16 float16 --kernels tuned native --iterations 3 --hours "$@"
