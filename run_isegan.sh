#!/usr/bin/env bash
# ISEGAN: one generator applied N times (shared weights). Defaults = the paper's headline run: ISEGAN
# with self-attention at encoder layer 5, N = 2, 2 GPUs x 50 windows. Every parameter below can also be
# set from the environment (e.g. `N=3 SA=0 ./run_isegan.sh`). Arguments go to the pipeline, e.g.
# `./run_isegan.sh --steps score,plots,report` (its steps, RUN_DIR, QUICK, DEMO, XLA, PRECISION, WORKERS, TASK,
# SEEDS, EXTRA_FLAGS, STEPS: `python scripts/pipeline.py --help`).

# the model
N="${N:-2}"                    # stages (--stages)
SA="${SA:-1}"                  # 1 = self-attention (+ spectral norm) in the generator
ATT_LAYER="${ATT_LAYER:-}"     # encoder layer index (0-based) of the attention blocks; empty: the paper's
# the training
GPUS="${GPUS:-0,1}"            # GPUs to train on (CUDA_VISIBLE_DEVICES); the test uses the first
BATCH_SIZE="${BATCH_SIZE:-}"   # windows per GPU; empty: the paper's batch split over the GPUs (README)
EPOCHS="${EPOCHS:-}"           # empty: the paper's (100)
# the data
DATA_DIR="${DATA_DIR:-}"       # VoiceBank-DEMAND at 16 kHz: DATA_DIR/{clean,noisy}_{train,test}set_wav_16k/;
                               # empty: data/, or the demo when data/ holds none (DEMO=1: the demo anyway)

set -euo pipefail
# The steps: check the data → records → train → enhance (the newest five checkpoints) → score → plots → listening
# report, then the summary over SEEDS; `--steps a,b` or `--from STEP` choose them.
if [ "$SA" = 1 ]; then name="ISEGAN-SA-$N"; else name="ISEGAN-$N"; fi
here="$(dirname "$0")"
py="$here/.venv/bin/python"; [ -x "$py" ] || py=python3
exec "$py" "$here/scripts/pipeline.py" "$name" --gpus "$GPUS" --att_layer "$ATT_LAYER" --batch_size "$BATCH_SIZE" \
  --epochs "$EPOCHS" --data_dir "$DATA_DIR" "$@"
