#!/usr/bin/env bash
# DSEGAN: N independent generators in a chain. Defaults = the paper's run scripts (N = 2, 2 GPUs x 50);
# SA=1 puts self-attention in every generator (the paper's DSEGAN-SA). Every parameter below can also be
# set from the environment (e.g. `N=3 SA=1 ./run_dsegan.sh`).
GPUS="${GPUS:-0,1}"            # GPUs to train on (CUDA_VISIBLE_DEVICES); the test uses the first
N="${N:-2}"                    # stages (--stages)
SA="${SA:-0}"                  # 1 = self-attention (+ spectral norm) in every generator
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
if [ "$SA" = 1 ]; then name="DSEGAN-SA-$N"; else name="DSEGAN-$N"; fi
run_seeds "$name"  # main.py --config NAME (common/config/named_configs.py), per seed of SEEDS
