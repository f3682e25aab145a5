#!/usr/bin/env bash
# The paper's whole grid, one configuration after another, then the table (scripts/paper_table.py) and the listening
# page of the runs side by side (grid.html beside them; scripts/listening_report.py --grid).
# SEEDS="0 1 2" trains each configuration once per seed (RUN_DIR/<NAME>-seed<S>/); the table and the paper's
# claims under it then aggregate over the seeds and say how many. A run whose results.json exists is skipped
# (delete it to redo one); a killed one resumes from its last checkpoint. Each trains on as many of GPUS as the paper's
# run script used (SEGAN and SASEGAN the first, the multi-stage models two) with the batch rule (the paper's windows
# per iteration split over the GPUs TensorFlow uses; README). Without VoiceBank-DEMAND the demo runs instead, into
# RUN_DIR/demo/ with the quick recipe; QUICK=1 runs the quick recipe on VoiceBank into RUN_DIR/quick/.
# The configurations come from common/config/named_configs.py (main.py --config NAME). Arguments go to the pipeline
# (the steps, RUN_DIR, QUICK, SEEDS, EXTRA_FLAGS and the rest: `python scripts/pipeline.py --help`).
#   CONFIGS="SEGAN ISEGAN-SA-2" GPUS=0,1 scripts/run_paper.sh

CONFIGS="${CONFIGS:-}"         # default: the paper's grid (common/config/named_configs.py PAPER_CONFIGS)
GPUS="${GPUS:-0,1}"            # the GPUs; each configuration trains on the first one or two
ATT_LAYER="${ATT_LAYER:-}"     # empty: the paper's
BATCH_SIZE="${BATCH_SIZE:-}"   # empty: the paper's batch split over the GPUs
EPOCHS="${EPOCHS:-}"           # empty: the paper's (100)
DATA_DIR="${DATA_DIR:-}"       # empty: data/, or the demo when data/ holds no VoiceBank

set -euo pipefail
read -ra configs <<< "$CONFIGS"  # a list of words, split on blanks, never globbed
here="$(dirname "$0")/.."
py="$here/.venv/bin/python"; [ -x "$py" ] || py=python3
exec "$py" "$here/scripts/pipeline.py" --paper "${configs[@]}" --gpus "$GPUS" --att_layer "$ATT_LAYER" \
  --batch_size "$BATCH_SIZE" --epochs "$EPOCHS" --data_dir "$DATA_DIR" "$@"
