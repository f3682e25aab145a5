#!/usr/bin/env bash
# ISEGAN: one generator applied N times. Defaults = the paper's headline run (ISEGAN with
# self-attention at encoder layer 5, N = 2, 2 GPUs x 50). Every parameter can be set from the environment.
GPUS="${GPUS:-0,1}"            # CUDA_VISIBLE_DEVICES for training
N="${N:-2}"                    # stages (--iterations)
SA="${SA:-1}"                  # 1 = self-attention (+ spectral norm) in the generator
ATT_LAYER="${ATT_LAYER:-5}"    # encoder layer index (0-based) of the attention block
BATCH_SIZE="${BATCH_SIZE:-50}" # per GPU
EPOCHS="${EPOCHS:-100}"
DATA_DIR="${DATA_DIR:-data}"   # VoiceBank-DEMAND at 16 kHz: DATA_DIR/{clean,noisy}_{train,test}set_wav_16k/
RUN_DIR="${RUN_DIR:-runs}"

set -euo pipefail
cd "$(dirname "$0")"
source scripts/run_lib.sh
prepare_data
echo "Data ready. Training arrives with the training issue; nothing more to run yet."
