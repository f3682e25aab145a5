#!/usr/bin/env bash
# The paper's whole grid, one configuration after another, then the table (scripts/paper_table.py).
# A configuration whose RUN_DIR/<NAME>/results.json exists is skipped (delete it to redo one); a killed
# one resumes from its last checkpoint. Batches as the paper's run scripts: SEGAN 100 windows and SASEGAN
# 50 on the first GPU; the multi-stage models 100 windows split over the GPUs of GPUS that are visible
# (2 GPUs x 50; one GPU or the CPU: 1 x 100). Without VoiceBank-DEMAND the demo runs instead, into
# RUN_DIR/demo/ with the quick recipe; QUICK=1 runs the quick recipe on VoiceBank into RUN_DIR/quick/.
#   CONFIGS="SEGAN ISEGAN-SA-2" GPUS=0,1 scripts/run_paper.sh
CONFIGS="${CONFIGS:-SEGAN SASEGAN ISEGAN-2 ISEGAN-3 ISEGAN-4 ISEGAN-SA-2 ISEGAN-SA-3 ISEGAN-SA-4 DSEGAN-2 DSEGAN-3 DSEGAN-4 DSEGAN-SA-2 DSEGAN-SA-3 DSEGAN-SA-4}"
ALL_GPUS="${GPUS:-0,1}"
ATT_LAYER="${ATT_LAYER:-5}"
EPOCHS="${EPOCHS:-100}"
DATA_DIR="${DATA_DIR:-data}"
RUN_DIR="${RUN_DIR:-runs}"

set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/run_lib.sh
prepare_data
IFS=, read -ra gpu_list <<< "$ALL_GPUS"
visible=$(visible_gpus "$ALL_GPUS")
replicas=$(( visible > 0 ? visible : 1 ))
echo "GPUS=$ALL_GPUS: TensorFlow sees $visible GPU(s); the multi-stage models train on $replicas replica(s) x" \
     "$(( 100 / replicas )) windows"
for name in $CONFIGS; do
  if [ -f "$(run_path "$name")/results.json" ]; then
    echo "$name: $(run_path "$name")/results.json exists, skipped"
    continue
  fi
  GPUS="$ALL_GPUS"; BATCH_SIZE=$(( 100 / replicas ))
  case "$name" in
    SEGAN) args=(segan); GPUS="${gpu_list[0]}"; BATCH_SIZE=100 ;;
    SASEGAN) args=(segan --self_attention --d_attention --att_layer_ind "$ATT_LAYER"); GPUS="${gpu_list[0]}"; BATCH_SIZE=50 ;;
    ISEGAN-SA-[0-9]*) args=(isegan --iterations "${name##*-}" --self_attention --att_layer_ind "$ATT_LAYER") ;;
    ISEGAN-[0-9]*) args=(isegan --iterations "${name##*-}") ;;
    DSEGAN-SA-[0-9]*) args=(dsegan --depth "${name##*-}" --self_attention --att_layer_ind "$ATT_LAYER") ;;
    DSEGAN-[0-9]*) args=(dsegan --depth "${name##*-}") ;;
    *) echo "error: unknown configuration $name (SEGAN, SASEGAN, ISEGAN[-SA]-N, DSEGAN[-SA]-N)" >&2; exit 2 ;;
  esac
  start=$SECONDS
  run_variant "${args[0]}" "$name" "${args[@]:1}"
  echo "$name: done in $(( SECONDS - start )) s"
done
"$PY" scripts/paper_table.py --run_dir "$(runs_root)" --noisy_dir "$TEST_NOISY" --clean_dir "$TEST_CLEAN"
