#!/usr/bin/env bash
# DSEGAN: N independent generators in a chain. Defaults = the paper's run scripts (N = 2, 2 GPUs x 50);
# SA=1 puts self-attention in every generator (the paper's DSEGAN-SA). Every parameter below can also be
# set from the environment (e.g. `N=3 SA=1 ./run_dsegan.sh`). Arguments go to the pipeline, e.g.
# `./run_dsegan.sh --steps score,plots,report` (its steps, RUN_DIR, QUICK, DEMO, XLA, PRECISION, WORKERS, TASK,
# SEEDS, EXTRA_FLAGS, STEPS: `python scripts/pipeline.py --help`).

# the model
N="${N:-2}"                    # stages (--stages)
SA="${SA:-0}"                  # 1 = self-attention (+ spectral norm) in every generator
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
if [ "$SA" = 1 ]; then name="DSEGAN-SA-$N"; else name="DSEGAN-$N"; fi
here="$(dirname "$0")"
py="$here/.venv/bin/python"; [ -x "$py" ] || py=python3
exec "$py" "$here/scripts/pipeline.py" "$name" --gpus "$GPUS" --att_layer "$ATT_LAYER" --batch_size "$BATCH_SIZE" \
  --epochs "$EPOCHS" --data_dir "$DATA_DIR" "$@"
