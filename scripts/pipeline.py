#!/usr/bin/env python3
"""The main job: a named configuration (SEGAN, SASEGAN, ISEGAN-N, ISEGAN-SA-N, DSEGAN-N, DSEGAN-SA-N;
common/config/named_configs.py) through its steps, once per seed. The run scripts (run_segan.sh, run_isegan.sh,
run_dsegan.sh, scripts/run_paper.sh, scripts/ablation_att_layer.sh) hold the research parameters and call this.

    python scripts/pipeline.py NAME [NAME ...] [--gpus 0,1] [--att_layer K] [--batch_size B] [--epochs E]
                               [--data_dir D] [--steps STEP,STEP | --from STEP] [--dry_run]
    python scripts/pipeline.py --paper [NAME ...] ...        the paper's grid (scripts/run_paper.sh)
    python scripts/pipeline.py --ablation "0 1 … 10" ...     the attention-layer ablation
                                                             (scripts/ablation_att_layer.sh)

The steps, in order:
    check    the corpus and the outputs, before any work (scripts/check_data.py): a problem stops here
    records  the demo corpus if it runs and is missing (scripts/make_demo_corpus.py), the training records if
             missing (make_tfrecords.py)
    train    <variant>/main.py --config NAME into the run directory (on GPUS; with WORKERS, TF_CONFIG)
    enhance  the test set with the newest five readable checkpoints (scripts/enhance_checkpoints.py)
    score    those outputs against the clean test set beside the noisy input (scripts/evaluate.py): the printed
             table, RUN/results.{md,csv,json}
    plots    RUN/spectrograms.png and RUN/training.png (scripts/plots/run.py)
    report   the listening report RUN/report.html, its path the last line printed (scripts/listening_report.py)
    summary  after the runs: with SEEDS, the configuration over its scored seeds against the noisy input
             (scripts/compare_runs.py --noisy, RUNS/NAME-seeds.md); --paper: the table (scripts/paper_table.py)
             and the runs side by side (RUNS/grid.html); --ablation: RUNS/ablation_att_layer.png
The steps from train to report run for each run in turn. Every step runs by default; --steps (or STEPS) runs
the steps named, e.g. `--steps score,plots,report` scores an existing run again; --from STEP runs STEP and those
after it. Without the enhance step, score takes the newest five folders of RUN/enhanced/. --dry_run prints each
command instead of running it.

Where the runs go (RUNS above): RUN_DIR/<run> for the paper's recipe on VoiceBank, RUN_DIR/quick/<run> for the
quick recipe on VoiceBank (QUICK=1), RUN_DIR/demo/<run> for the quick recipe on the demo corpus. A run is NAME,
or NAME-seed<S> with SEEDS. --paper and --ablation skip a run whose results.json exists when every step runs.

The environment (read here only; the research parameters' flags also default to GPUS, ATT_LAYER, BATCH_SIZE,
EPOCHS and DATA_DIR):
    DATA_DIR     VoiceBank-DEMAND at 16 kHz, DATA_DIR/{clean,noisy}_{train,test}set_wav_16k/; empty: data/ of
                 the repository, or the demo corpus (data/demo/) when data/ holds none. A DATA_DIR that is set
                 must hold VoiceBank unless DEMO=1
    DEMO         1: the demo corpus (DATA_DIR/demo/); 0: VoiceBank only; empty: as DATA_DIR says
    RUN_DIR      where the runs go; empty: runs/ of the repository. Relative paths are from the current folder
    QUICK        1: the quick recipe (docs/quick_recipe.md; not the paper's) on VoiceBank, into RUN_DIR/quick/
    XLA          1: XLA-compiled training and test steps (--xla; not the paper's; docs/speed.md)
    PRECISION    float32 (default, the paper's), bfloat16 or float16: training's --mixed_precision
    WORKERS      several servers: host:port of each, the chief first, the same on every server (docs/running.md)
    TASK         this server's index in WORKERS (0, the default: the chief, which also tests and sums up; the
                 others only train)
    SEEDS        e.g. "0 1 2": one run per seed (NAME-seed<S>, main.py --seed S), then the summary; empty: one
                 unseeded run (the paper's)
    EXTRA_FLAGS  more main.py flags for training, split on blanks, e.g. --allow_changes
    STEPS        the steps to run (as --steps); empty: all
A SIGTERM or SIGINT reaches the running child as SIGTERM (a training saves and stops); the pipeline then exits
with the child's status, and no child outlives it.
"""
from __future__ import annotations

import os
import sys

from scripts.main_job.children import DryRunner, Runner
from scripts.main_job.settings import Stop, parse_args
from scripts.main_job.steps import Pipeline


def main(argv=None, runner: Runner | None = None) -> int:
    """Parse, then run the pipeline; the exit status (a child's when one failed or a signal came)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        settings = parse_args(argv, description=__doc__)
        if runner is None:
            runner = DryRunner() if settings.dry_run else Runner()
            runner.install()
        return Pipeline(settings, runner).main()
    except Stop as e:
        if e.message:
            print(f"error: {e.message}", file=sys.stderr)
        return e.status


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # in order with the children's lines
    sys.exit(main())
