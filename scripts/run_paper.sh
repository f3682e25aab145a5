#!/usr/bin/env bash
# The paper's whole grid, one configuration after another, then the table (scripts/paper_table.py) and the listening
# page of the runs side by side (grid.html beside them; scripts/listening_report.py --grid).
# SEEDS="0 1 2" trains each configuration once per seed (RUN_DIR/<NAME>-seed<S>/); the table and the paper's
# claims under it then aggregate over the seeds and say how many. A run whose results.json exists is skipped
# (delete it to redo one); a killed one resumes from its last checkpoint. Each trains on as many of GPUS as the paper's run script used (SEGAN and
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
SEEDS="${SEEDS:-}"             # empty: one unseeded run per configuration (the paper's); "0 1 2": one run per seed

set -euo pipefail
# shellcheck source=scripts/run_lib.sh
source "$(dirname "$0")/run_lib.sh"
prepare_data
[ -n "$CONFIGS" ] || CONFIGS="$("$PY" "$ROOT/scripts/named_config.py" --paper)"
IFS=, read -ra gpu_list <<< "$ALL_GPUS"
firsts=()  # the grid page plays the first seed of each configuration
for config in $CONFIGS; do
  gpus="$("$PY" "$ROOT/scripts/named_config.py" --gpus "$config")"  # an unknown name stops here, named
  GPUS="$(IFS=,; echo "${gpu_list[*]:0:gpus}")"
  seed_runs "$config"
  names=("${RUN_NAMES[@]}") seeds=("${RUN_SEEDS[@]}")
  firsts+=("${names[0]}")
  for i in "${!names[@]}"; do
    name="${names[$i]}"
    if [ -f "$(run_path "$name")/results.json" ]; then
      echo "$name: $(run_path "$name")/results.json exists, skipped"
      continue
    fi
    start=$SECONDS
    run_config "$config" "$name" "${seeds[$i]}"
    echo "$name: done in $(( SECONDS - start )) s"
  done
done
"$PY" "$ROOT/scripts/paper_table.py" --runs_root "$(runs_root)" --noisy_dir "$TEST_NOISY" --clean_dir "$TEST_CLEAN"
grid_report "${firsts[@]}"  # the runs side by side: RUN_DIR/grid.html (RUN_DIR/demo/grid.html for the demo)
