#!/usr/bin/env bash
# The paper's whole grid, one configuration after another, then the table (scripts/paper_table.py) and the listening
# page of the runs side by side (grid.html beside them; scripts/listening_report.py --grid).
# A configuration whose RUN_DIR/<NAME>/results.json exists is skipped (delete it to redo one); a killed
# one resumes from its last checkpoint. Each trains on as many of GPUS as the paper's run script used (SEGAN and
# SASEGAN the first, the multi-stage models two) with the batch rule (the paper's windows per iteration split over
# the GPUs TensorFlow uses; README). Without VoiceBank-DEMAND the demo runs instead, into
# RUN_DIR/demo/ with the quick recipe; QUICK=1 runs the quick recipe on VoiceBank into RUN_DIR/quick/.
# The configurations come from common/config/named_configs.py (main.py --config NAME).
#   CONFIGS="SEGAN ISEGAN-SA-2" GPUS=0,1 scripts/run_paper.sh
CONFIGS="${CONFIGS:-}"         # default: the paper's grid (scripts/named_config.py --paper lists it)
ALL_GPUS="${GPUS:-0,1}"
ATT_LAYER="${ATT_LAYER:-}"     # empty: the paper's
EPOCHS="${EPOCHS:-}"           # empty: the paper's (100)
DATA_DIR="${DATA_DIR:-}"       # empty: data/, or the demo when data/ holds no VoiceBank (run_isegan.sh)
RUN_DIR="${RUN_DIR:-}"         # empty: runs/ of the repository

set -euo pipefail
# shellcheck source=scripts/run_lib.sh
source "$(dirname "$0")/run_lib.sh"
prepare_data
[ -n "$CONFIGS" ] || CONFIGS="$("$PY" "$ROOT/scripts/named_config.py" --paper)"
IFS=, read -ra gpu_list <<< "$ALL_GPUS"
for name in $CONFIGS; do
  if [ -f "$(run_path "$name")/results.json" ]; then
    echo "$name: $(run_path "$name")/results.json exists, skipped"
    continue
  fi
  gpus="$("$PY" "$ROOT/scripts/named_config.py" --gpus "$name")"  # an unknown name stops here, named
  GPUS="$(IFS=,; echo "${gpu_list[*]:0:gpus}")"
  start=$SECONDS
  run_config "$name"
  echo "$name: done in $(( SECONDS - start )) s"
done
"$PY" "$ROOT/scripts/paper_table.py" --runs_root "$(runs_root)" --noisy_dir "$TEST_NOISY" --clean_dir "$TEST_CLEAN"
read -ra names <<< "$CONFIGS"
grid_report "${names[@]}"  # the runs side by side: RUN_DIR/grid.html (RUN_DIR/demo/grid.html for the demo)
