#!/usr/bin/env bash
# SEGAN (one generator), or SASEGAN with SA=1 (self-attention in the generator and the discriminator).
# Defaults = the run scripts: SEGAN's 1 GPU x 100 windows; SASEGAN's 1 GPU x 50 (so, at 100 epochs, twice
# the iterations). Every parameter below can also be set from the environment (e.g. `SA=1 ./run_segan.sh`).
GPUS="${GPUS:-0}"              # GPUs to train on (CUDA_VISIBLE_DEVICES); the test uses the first
SA="${SA:-0}"                  # 1 = SASEGAN: self-attention + spectral norm in G and D
ATT_LAYER="${ATT_LAYER:-}"     # encoder layer index (0-based) of the attention blocks; empty: the paper's
BATCH_SIZE="${BATCH_SIZE:-}"   # windows per GPU; empty: the paper's batch split over the GPUs (README)
EPOCHS="${EPOCHS:-}"           # empty: the paper's (100)
DATA_DIR="${DATA_DIR:-}"       # VoiceBank-DEMAND at 16 kHz: DATA_DIR/{clean,noisy}_{train,test}set_wav_16k/;
                               # empty: data/, or the demo when data/ holds none (DEMO=1: the demo anyway)
RUN_DIR="${RUN_DIR:-}"         # results in RUN_DIR/<name>/ (quick: RUN_DIR/quick/, demo: RUN_DIR/demo/);
                               # empty: runs/ here. Relative paths are from where you start the script
QUICK="${QUICK:-0}"            # 1 = the quick recipe (docs/quick_recipe.md; not the paper's), into RUN_DIR/quick/<name>
XLA="${XLA:-0}"                # 1 = XLA-compiled training and test steps (not the paper's; docs/speed.md)
PRECISION="${PRECISION:-float32}"  # bfloat16 or float16 = mixed-precision training (not the paper's; docs/speed.md)
WORKERS="${WORKERS:-}"         # several servers: host:port of each, the chief first (docs/running.md)
TASK="${TASK:-0}"              # this server's index in WORKERS (0 = the chief, which also tests)
SEEDS="${SEEDS:-}"             # e.g. "0 1 2": one run per seed (<name>-seed0, …), then their summary; empty: one
                               # unseeded run (the paper's)
EXTRA_FLAGS="${EXTRA_FLAGS:-}" # more main.py flags for training, e.g. --allow_changes

set -euo pipefail
source "$(dirname "$0")/scripts/run_lib.sh"
prepare_data
if [ "$SA" = 1 ]; then name=SASEGAN; else name=SEGAN; fi
run_seeds "$name"  # main.py --config NAME (common/config/named_configs.py), per seed of SEEDS
