#!/usr/bin/env bash
# The paper's whole grid, one configuration after another, then the table (scripts/paper_table.py).
# A configuration whose RUN_DIR/<NAME>/results.json exists is skipped (delete it to redo one); a killed
# one resumes from its last checkpoint. Batches as the paper's run scripts: SEGAN 100 windows and SASEGAN
# 50 on the first GPU; the multi-stage models 100 windows split over the GPUs of GPUS that are visible
# (2 GPUs x 50; one GPU or the CPU: 1 x 100). Without VoiceBank-DEMAND the demo runs instead, into
# RUN_DIR/demo/ with the quick recipe; QUICK=1 runs the quick recipe on VoiceBank into RUN_DIR/quick/.
# The configurations, their flags and batches come from common/named_configs.py.
#   CONFIGS="SEGAN ISEGAN-SA-2" GPUS=0,1 scripts/run_paper.sh
CONFIGS="${CONFIGS:-}"         # default: the paper's grid (scripts/named_config.py --paper lists it)
ALL_GPUS="${GPUS:-0,1}"
ATT_LAYER="${ATT_LAYER:-5}"
EPOCHS="${EPOCHS:-100}"
DATA_DIR="${DATA_DIR:-}"       # empty: data/, or the demo when data/ holds no VoiceBank (run_isegan.sh)
RUN_DIR="${RUN_DIR:-}"         # empty: runs/ of the repository

set -euo pipefail
# shellcheck source=scripts/run_lib.sh
source "$(dirname "$0")/run_lib.sh"
prepare_data
[ -n "$CONFIGS" ] || CONFIGS="$("$PY" "$ROOT/scripts/named_config.py" --paper)"
IFS=, read -ra gpu_list <<< "$ALL_GPUS"
visible=$(visible_gpus "$ALL_GPUS")
replicas=$(( visible > 0 ? visible : 1 ))
echo "GPUS=$ALL_GPUS: TensorFlow sees $visible GPU(s); the multi-stage models split their batch over" \
     "$replicas replica(s)"
for name in $CONFIGS; do
  if [ -f "$(run_path "$name")/results.json" ]; then
    echo "$name: $(run_path "$name")/results.json exists, skipped"
    continue
  fi
  named "$name" "$ATT_LAYER"  # an unknown name stops here, named
  if [ "$FIRST_GPU" = 1 ]; then
    GPUS="${gpu_list[0]}"; BATCH_SIZE="$RUN_WINDOWS"
  else
    GPUS="$ALL_GPUS"; BATCH_SIZE=$(( RUN_WINDOWS / replicas ))
  fi
  start=$SECONDS
  run_variant "$VARIANT" "$name" "${MODEL_FLAGS[@]}"
  echo "$name: done in $(( SECONDS - start )) s"
done
"$PY" "$ROOT/scripts/paper_table.py" --runs_root "$(runs_root)" --noisy_dir "$TEST_NOISY" --clean_dir "$TEST_CLEAN"
