# shellcheck shell=bash
# Shared steps of run_segan.sh / run_isegan.sh / run_dsegan.sh (sourced, not run).
# Expects DATA_DIR and RUN_DIR (empty: the repository's data/ and runs/; relative: from the caller's folder), DEMO
# (1: the demo corpus; 0: VoiceBank only; empty: the demo when DATA_DIR is empty and data/ holds no VoiceBank) and
# QUICK, and SEEDS (empty: one unseeded run per configuration, the paper's; "0 1 2": one run per seed); sets PY,
# TRAIN_RECORDS, TEST_NOISY, TEST_CLEAN and DEMO.
# Three kinds of run, each in its own folder: the paper's (VoiceBank, default: RUN_DIR/<name>), the quick recipe
# on VoiceBank (QUICK=1: RUN_DIR/quick/<name>) and the quick recipe on the demo corpus (RUN_DIR/demo/<name>).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY=python3; fi
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
DATA_GIVEN="${DATA_DIR:+1}"  # a DATA_DIR that is set must hold VoiceBank
DATA_DIR="${DATA_DIR:-$ROOT/data}"
RUN_DIR="${RUN_DIR:-$ROOT/runs}"

# prepare_data: check the corpus and the outputs before any work (scripts/check_data.py: a problem stops the
# script here, not after the training), make the demo corpus and the training records if missing.
prepare_data() {
  local vb kind
  check_seeds
  kind="$("$PY" "$ROOT/scripts/check_data.py" "$DATA_DIR" --runs "$RUN_DIR" --demo "${DEMO:-auto}" ${DATA_GIVEN:+--given})"
  if [ "$kind" = demo ]; then
    DEMO=1
    vb="$DATA_DIR/demo"
    echo "The demo (no VoiceBank-DEMAND in $DATA_DIR, or DEMO=1; scripts/download_voicebank.py fetches it):" \
         "the quick recipe on a small synthetic corpus in $vb."
    # made anew only if an older generator made it
    forward "$PY" "$ROOT/scripts/make_demo_corpus.py" --out_dir "$vb" --only_if_outdated
  else
    DEMO=0
    vb="$DATA_DIR"
  fi
  TRAIN_RECORDS="$vb/segan.tfrecords"
  TEST_NOISY="$vb/noisy_testset_wav_16k"
  TEST_CLEAN="$vb/clean_testset_wav_16k"
  if [ ! -f "$TRAIN_RECORDS.index.json" ]; then
    forward "$PY" "$ROOT/make_tfrecords.py" --wav_dir "$vb/clean_trainset_wav_16k/" \
      --noisy_dir "$vb/noisy_trainset_wav_16k/" --save_path "$vb" --out_file segan.tfrecords
  fi
}

# forward CMD...: run CMD and wait for it, passing a SIGTERM or SIGINT of the script on to it as SIGTERM (a
# training then saves at its current iteration and stops; Ctrl-C reaches it directly as well), so that no
# process outlives the script; returns CMD's status.
forward() {
  "$@" &
  local child=$! status=0
  trap 'kill -TERM "$child" 2>/dev/null || true' TERM INT
  wait "$child" || status=$?
  while kill -0 "$child" 2>/dev/null; do  # a trapped signal ends the wait early: wait again
    status=0
    wait "$child" || status=$?
  done
  trap - TERM INT
  return "$status"
}

# check_seeds: SEEDS is empty or distinct non-negative integers, and EXTRA_FLAGS then names no --seed.
check_seeds() {
  local seed seen=" " seeds
  read -ra seeds <<< "${SEEDS:-}"  # split on blanks, never globbed
  for seed in "${seeds[@]}"; do
    if ! [[ "$seed" =~ ^[0-9]+$ ]]; then echo "error: SEEDS=\"$SEEDS\": '$seed' is not a non-negative integer" >&2; exit 2; fi
    if [[ "$seen" == *" $seed "* ]]; then echo "error: SEEDS=\"$SEEDS\": seed $seed is given twice" >&2; exit 2; fi
    seen+="$seed "
  done
  if [ "${#seeds[@]}" != 0 ] && [[ " ${EXTRA_FLAGS:-} " =~ [[:space:]]--seed([[:space:]=]) ]]; then
    echo "error: EXTRA_FLAGS gives --seed and SEEDS=\"$SEEDS\" gives the seeds: use one of them" >&2; exit 2
  fi
}

# seed_runs CONFIG: the runs of a configuration, as RUN_NAMES and RUN_SEEDS (parallel arrays): CONFIG unseeded
# when SEEDS is empty, else CONFIG-seed<S> with seed S for each of SEEDS (scripts/named_config.py --seed).
seed_runs() {
  local seed seeds
  RUN_NAMES=() RUN_SEEDS=()
  read -ra seeds <<< "${SEEDS:-}"
  if [ "${#seeds[@]}" = 0 ]; then RUN_NAMES=("$1") RUN_SEEDS=(""); return; fi
  for seed in "${seeds[@]}"; do
    RUN_NAMES+=("$("$PY" "$ROOT/scripts/named_config.py" "$1" --seed "$seed")") RUN_SEEDS+=("$seed")
  done
}

# seeds_summary CONFIG: with SEEDS, the configuration over its scored seeds against its noisy input (mean over
# seeds, their spread, a paired test per metric: scripts/compare_runs.py --noisy), also in runs_root/CONFIG-seeds.md.
seeds_summary() {
  local name scored=()
  seed_runs "$1"
  [ -n "${RUN_SEEDS[0]}" ] && [ "${TASK:-0}" = 0 ] || return 0
  for name in "${RUN_NAMES[@]}"; do
    if [ -f "$(run_path "$name")/results.json" ]; then scored+=("$(run_path "$name")"); fi
  done
  [ "${#scored[@]}" -ge 1 ] || return 0
  echo "$1 over ${#scored[@]} seed(s) against the noisy input:"
  forward "$PY" "$ROOT/scripts/compare_runs.py" --noisy "${scored[@]}" --markdown "$(runs_root)/$1-seeds.md"
  echo "$1 over its seeds: $(runs_root)/$1-seeds.md"
}

# run_seeds CONFIG: run_config for each run of the configuration (seed_runs), then seeds_summary.
run_seeds() {
  local i
  seed_runs "$1"
  local names=("${RUN_NAMES[@]}") seeds=("${RUN_SEEDS[@]}")
  for i in "${!names[@]}"; do run_config "$1" "${names[$i]}" "${seeds[$i]}"; done
  seeds_summary "$1"
}

quick() {
  [ "$DEMO" = 1 ] || [ "${QUICK:-0}" = 1 ]
}

# runs_root: where the runs live; quick and demo runs apart, so they never meet the paper's runs.
runs_root() {
  if [ "$DEMO" = 1 ]; then echo "$RUN_DIR/demo"; elif quick; then echo "$RUN_DIR/quick"; else echo "$RUN_DIR"; fi
}

# run_path NAME: the run directory of a configuration.
run_path() {
  echo "$(runs_root)/$1"
}

# train_env: the environment of training: the GPUS, and in a multi-worker run (WORKERS=host:port,host:port,…
# with the chief first, the same on every server; TASK=k this server's place in it) its TF_CONFIG.
train_env() {
  TRAIN_ENV=(CUDA_VISIBLE_DEVICES="$GPUS")
  if [ -n "${WORKERS:-}" ]; then
    TRAIN_ENV+=("TF_CONFIG={\"cluster\": {\"worker\": [\"${WORKERS//,/\", \"}\"]}, \"task\": {\"type\": \"worker\", \"index\": ${TASK:-0}}}")
  fi
}

# run_config CONFIG [NAME [SEED]]: train the named configuration CONFIG (main.py --config;
# common/config/named_configs.py) as the run NAME (default CONFIG; run_path NAME), with --seed SEED when given; enhance the test set at its last five readable checkpoints, evaluate
# them (beside the noisy input), print the table, plot the run (spectrograms.png, training.png) and write its listening
# report (report.html, its path the last line printed); in a multi-worker
# run (WORKERS, TASK) every server trains and the chief tests. Uses GPUS, ATT_LAYER, BATCH_SIZE and EPOCHS (each
# empty: main.py's default, the paper's; given: passed on, winning over the quick recipe), RUN_DIR, QUICK, XLA (1:
# --xla in training and testing), PRECISION (training's --mixed_precision) and EXTRA_FLAGS (more flags for
# training, e.g. --allow_changes). The model for testing comes from the run's flags.json; the five checkpoints are
# enhanced in one process (scripts/enhance_checkpoints.py, file for file what test mode writes).
run_config() {
  local config="$1" name="${2:-$1}" variant run train_flags=() speed=()
  if [ -n "${3:-}" ]; then train_flags=(--seed "$3"); fi
  variant="$("$PY" "$ROOT/scripts/named_config.py" "$config")"  # which main.py; an unknown name stops here
  run="$(run_path "$name")"
  if [ "${XLA:-0}" = 1 ]; then speed=(--xla); fi
  if quick; then
    train_flags+=(--recipe quick)  # common/config/recipes.py
    echo "Quick recipe (not the paper's; docs/quick_recipe.md): $name at a quarter of the channels, in $run."
  fi
  if [ -n "${ATT_LAYER:-}" ]; then train_flags+=(--att_layer_ind "$ATT_LAYER"); fi
  if [ -n "${BATCH_SIZE:-}" ]; then train_flags+=(--batch_size "$BATCH_SIZE"); fi
  if [ -n "${EPOCHS:-}" ]; then train_flags+=(--epoch "$EPOCHS"); fi
  local extra
  read -ra extra <<< "${EXTRA_FLAGS:-}"  # a list of words, split on blanks, never globbed
  train_env
  forward env "${TRAIN_ENV[@]}" "$PY" "$ROOT/$variant/main.py" --config "$config" "${train_flags[@]}" "${speed[@]}" \
    --mixed_precision "${PRECISION:-float32}" "${extra[@]}" --e2e_dataset "$TRAIN_RECORDS" --save_path "$run"
  if [ "${TASK:-0}" != 0 ]; then
    echo "$name: worker ${TASK} done; the chief (TASK=0) tests the run"
    return
  fi
  local dirs listing
  listing="$(mktemp)"
  forward env CUDA_VISIBLE_DEVICES="${GPUS%%,*}" "$PY" "$ROOT/scripts/enhance_checkpoints.py" --run "$run" --last 5 \
    --test_wav_dir "$TEST_NOISY" "${speed[@]}" > "$listing"
  mapfile -t dirs < "$listing"
  rm -f "$listing"
  forward "$PY" "$ROOT/scripts/evaluate.py" --clean_dir "$TEST_CLEAN" --noisy_dir "$TEST_NOISY" --enhanced_dir "${dirs[@]}" \
    --csv "$run/results.csv" --json "$run/results.json" --markdown "$run/results.md"
  forward "$PY" "$ROOT/scripts/plots/run.py" --run "$run" --noisy_dir "$TEST_NOISY" --clean_dir "$TEST_CLEAN"
  echo "$name: table above, also in $run/results.md (per file: $run/results.csv); pictures above"
  forward env CUDA_VISIBLE_DEVICES="${GPUS%%,*}" "$PY" "$ROOT/scripts/listening_report.py" --run "$run" \
    --noisy_dir "$TEST_NOISY" --clean_dir "$TEST_CLEAN"  # its last line: listening report: RUN/report.html
}

# grid_report NAME...: the listening page of the named runs side by side (scripts/listening_report.py --grid), in
# the runs' folder (runs_root/grid.html), when two or more of them have results; the chief's job in a cluster.
grid_report() {
  local name scored=()
  [ "${TASK:-0}" = 0 ] || return 0
  for name in "$@"; do
    if [ -f "$(run_path "$name")/results.json" ]; then scored+=("$(run_path "$name")"); fi
  done
  if [ "${#scored[@]}" -ge 2 ]; then
    forward env CUDA_VISIBLE_DEVICES="${GPUS%%,*}" "$PY" "$ROOT/scripts/listening_report.py" --grid "${scored[@]}" \
      --noisy_dir "$TEST_NOISY" --clean_dir "$TEST_CLEAN" --out "$(runs_root)"  # listening grid: RUNS/grid.html
  fi
}
