#!/usr/bin/env bash
# Attention-layer ablation (SASEGAN's figure): SASEGAN with its attention blocks at each encoder index in
# LAYERS (0-based; 10 = the bottleneck, encoder block only; the papers' layer number is index + 1), each
# trained, tested on its last five checkpoints and evaluated as RUN_DIR/SASEGAN-L<k>, then PESQ and STOI
# against the layer plotted to RUN_DIR/ablation_att_layer.png. Existing results are skipped.
# SASEGAN's run script: 1 GPU, the paper's batch. Without VoiceBank-DEMAND the demo runs instead, in RUN_DIR/demo/.
# Arguments go to the pipeline (the steps, RUN_DIR and the rest: `python scripts/pipeline.py --help`).

LAYERS="${LAYERS:-0 1 2 3 4 5 6 7 8 9 10}"
GPUS="${GPUS:-0}"
BATCH_SIZE="${BATCH_SIZE:-}"   # empty: the paper's
EPOCHS="${EPOCHS:-}"           # empty: the paper's (100)
DATA_DIR="${DATA_DIR:-}"       # empty: data/, or the demo when data/ holds no VoiceBank

set -euo pipefail
here="$(dirname "$0")/.."
py="$here/.venv/bin/python"; [ -x "$py" ] || py=python3
exec "$py" "$here/scripts/pipeline.py" --ablation "$LAYERS" --gpus "$GPUS" --batch_size "$BATCH_SIZE" \
  --epochs "$EPOCHS" --data_dir "$DATA_DIR" "$@"
