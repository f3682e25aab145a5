#!/usr/bin/env bash
# Attention-layer ablation (SASEGAN's figure): SASEGAN with its attention blocks at each encoder index in
# LAYERS (0-based; 10 = the bottleneck, encoder block only; the papers' layer number is index + 1), each
# trained, tested on its last five checkpoints and evaluated as RUN_DIR/SASEGAN-L<k>, then PESQ and STOI
# against the layer plotted to RUN_DIR/ablation_att_layer.png. Existing results are skipped.
# SASEGAN's run script: 1 GPU, the paper's batch. Without VoiceBank-DEMAND the demo runs instead, in RUN_DIR/demo/.
LAYERS="${LAYERS:-0 1 2 3 4 5 6 7 8 9 10}"
GPUS="${GPUS:-0}"
BATCH_SIZE="${BATCH_SIZE:-}"   # empty: the paper's
EPOCHS="${EPOCHS:-}"           # empty: the paper's (100)
DATA_DIR="${DATA_DIR:-}"       # empty: data/, or the demo when data/ holds no VoiceBank (run_isegan.sh)
RUN_DIR="${RUN_DIR:-}"         # empty: runs/ of the repository

set -euo pipefail
# shellcheck source=scripts/run_lib.sh
source "$(dirname "$0")/run_lib.sh"
prepare_data
for k in $LAYERS; do
  if [ -f "$(run_path "SASEGAN-L$k")/results.json" ]; then
    echo "SASEGAN-L$k: results exist, skipped"
    continue
  fi
  ATT_LAYER="$k" run_config SASEGAN "SASEGAN-L$k"
done
runs="$(runs_root)"
"$PY" "$ROOT/scripts/plots/ablation.py" --runs_root "$runs" --out "$runs/ablation_att_layer.png"
