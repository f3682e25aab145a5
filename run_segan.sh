#!/usr/bin/env bash
# SEGAN (one generator), or SASEGAN with SA=1 (self-attention in the generator and the discriminator).
# Defaults = the run scripts: SEGAN's 1 GPU x 100 windows; SASEGAN's 1 GPU x 50 (so, at 100 epochs, twice
# the iterations). Every parameter below can also be set from the environment (e.g. `SA=1 ./run_segan.sh`).
# Arguments go to the pipeline, e.g. `./run_segan.sh --steps score,plots,report` (its steps, RUN_DIR, QUICK, DEMO,
# XLA, PRECISION, WORKERS, TASK, SEEDS, EXTRA_FLAGS, STEPS: `python scripts/pipeline.py --help`).

# the model
SA="${SA:-0}"                  # 1 = SASEGAN: self-attention + spectral norm in G and D
ATT_LAYER="${ATT_LAYER:-}"     # encoder layer index (0-based) of the attention blocks; empty: the paper's
# the training
GPUS="${GPUS:-0}"              # GPUs to train on (CUDA_VISIBLE_DEVICES); the test uses the first
BATCH_SIZE="${BATCH_SIZE:-}"   # windows per GPU; empty: the paper's batch split over the GPUs (README)
EPOCHS="${EPOCHS:-}"           # empty: the paper's (100)
# the data
DATA_DIR="${DATA_DIR:-}"       # VoiceBank-DEMAND at 16 kHz: DATA_DIR/{clean,noisy}_{train,test}set_wav_16k/;
                               # empty: data/, or the demo when data/ holds none (DEMO=1: the demo anyway)

set -euo pipefail
# The steps: check the data → records → train → enhance (the newest five checkpoints) → score → plots → listening
# report, then the summary over SEEDS; `--steps a,b` or `--from STEP` choose them.
if [ "$SA" = 1 ]; then name=SASEGAN; else name=SEGAN; fi
here="$(dirname "$0")"
py="$here/.venv/bin/python"; [ -x "$py" ] || py=python3
exec "$py" "$here/scripts/pipeline.py" "$name" --gpus "$GPUS" --att_layer "$ATT_LAYER" --batch_size "$BATCH_SIZE" \
  --epochs "$EPOCHS" --data_dir "$DATA_DIR" "$@"
