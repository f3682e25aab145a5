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

import argparse
import dataclasses
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time

from common.audio.voicebank import TRAIN_RECORDS, wav_dir
from common.config.named_configs import PAPER_CONFIGS, named_config, paper_gpus
from common.rundir.layout import ENHANCED_DIR, RESULTS_JSON, TESTED_CHECKPOINTS, seed_run_name
from scripts import check_data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = ("check", "records", "train", "enhance", "score", "plots", "report", "summary")
PER_RUN = ("train", "enhance", "score", "plots", "report")
ABLATION_CONFIG, ABLATION_PREFIX = "SASEGAN", "SASEGAN-L"


class Stop(Exception):
    """Ends the pipeline with `status` (after an `error:` line when `message` is given)."""

    def __init__(self, status: int, message: str | None = None):
        super().__init__(message)
        self.status, self.message = status, message


def error(message: str, status: int = 2) -> Stop:
    return Stop(status, message)


# ---------------------------------------------------------------------------------------------- the settings

@dataclasses.dataclass
class Settings:
    """What a pipeline does: the research parameters (command line) and the infrastructure (environment)."""
    configs: list[str]
    mode: str = "runs"  # runs, paper or ablation
    layers: list[str] = dataclasses.field(default_factory=list)  # --ablation
    gpus: str = "0"
    att_layer: str = ""
    batch_size: str = ""
    epochs: str = ""
    data_dir: str = ""  # empty: data/ of the repository, not given
    run_dir: str = ""
    demo: str = ""
    quick: bool = False
    xla: bool = False
    precision: str = "float32"
    workers: str = ""
    task: str = "0"
    seeds: str = ""
    extra_flags: str = ""
    steps: tuple[str, ...] = STEPS
    dry_run: bool = False


def parse_steps(text: str, source: str) -> tuple[str, ...]:
    names = [n for n in re.split(r"[\s,]+", text) if n]
    unknown = [n for n in names if n not in STEPS]
    if unknown:
        raise error(f"{source}: unknown step '{unknown[0]}'; the steps are {', '.join(STEPS)}")
    return tuple(n for n in STEPS if n in names)


def parse_args(argv=None, environ=None) -> Settings:
    env = os.environ if environ is None else environ
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("configs", nargs="*", metavar="NAME", help="named configurations (--paper: default the grid)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--paper", action="store_true", help="the paper's grid: each configuration on the paper's "
                      "number of GPUS, a scored run skipped; summary: the table and the grid page")
    mode.add_argument("--ablation", metavar="LAYERS", help=f"{ABLATION_CONFIG} with attention at each encoder index "
                      f"of LAYERS (e.g. \"0 1 2\"), runs {ABLATION_PREFIX}<k>; summary: the plot")
    p.add_argument("--gpus", default=env.get("GPUS", "0"), help="CUDA_VISIBLE_DEVICES of training; the tests use "
                   "the first (default: GPUS, else 0)")
    p.add_argument("--att_layer", default=env.get("ATT_LAYER", ""), help="--att_layer_ind (empty: the paper's)")
    p.add_argument("--batch_size", default=env.get("BATCH_SIZE", ""), help="windows per GPU (empty: the batch rule)")
    p.add_argument("--epochs", default=env.get("EPOCHS", ""), help="--epoch (empty: the paper's)")
    p.add_argument("--data_dir", default=env.get("DATA_DIR", ""), help="the corpus (empty: data/ or the demo)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--steps", help=f"the steps to run, of {', '.join(STEPS)} (default: STEPS, else all)")
    which.add_argument("--from", dest="start", metavar="STEP", help="run STEP and the steps after it")
    p.add_argument("--dry_run", action="store_true", help="print the commands instead of running them")
    a = p.parse_args(argv)
    if a.ablation is not None and a.configs:
        p.error(f"--ablation trains {ABLATION_CONFIG} only: give no NAME")
    if not a.configs and not a.paper and a.ablation is None:
        p.error("give a configuration NAME, --paper or --ablation")
    if a.steps is not None:
        steps = parse_steps(a.steps, f"--steps {a.steps}")
    elif a.start is not None:
        if a.start not in STEPS:
            raise error(f"--from {a.start}: unknown step '{a.start}'; the steps are {', '.join(STEPS)}")
        steps = STEPS[STEPS.index(a.start):]
    elif env.get("STEPS", "").strip():
        steps = parse_steps(env["STEPS"], f"STEPS=\"{env['STEPS']}\"")
    else:
        steps = STEPS
    layers = []
    if a.ablation is not None:
        layers = [k for k in re.split(r"[\s,]+", a.ablation) if k]
        bad = [k for k in layers if not re.fullmatch(r"[0-9]+", k)]
        if bad or not layers:
            raise error(f"--ablation \"{a.ablation}\": give encoder indices, e.g. \"0 1 2\"")
    return Settings(
        configs=list(a.configs) or (list(PAPER_CONFIGS) if a.paper else []),
        mode="paper" if a.paper else "ablation" if a.ablation is not None else "runs", layers=layers,
        gpus=a.gpus, att_layer=a.att_layer, batch_size=a.batch_size, epochs=a.epochs, data_dir=a.data_dir,
        run_dir=env.get("RUN_DIR", ""), demo=env.get("DEMO", ""), quick=env.get("QUICK", "0") == "1",
        xla=env.get("XLA", "0") == "1", precision=env.get("PRECISION", "") or "float32",
        workers=env.get("WORKERS", ""), task=env.get("TASK", "") or "0", seeds=env.get("SEEDS", ""),
        extra_flags=env.get("EXTRA_FLAGS", ""), steps=steps, dry_run=a.dry_run)


def check_seeds(seeds: str, extra_flags: str) -> list[int]:
    """SEEDS as integers: distinct non-negative integers, and then no --seed in EXTRA_FLAGS."""
    found = []
    for word in seeds.split():
        if not re.fullmatch(r"[0-9]+", word):
            raise error(f"SEEDS=\"{seeds}\": '{word}' is not a non-negative integer")
        if int(word) in found:
            raise error(f"SEEDS=\"{seeds}\": seed {word} is given twice")
        found.append(int(word))
    if found and any(w == "--seed" or w.startswith("--seed=") for w in extra_flags.split()):
        raise error(f"EXTRA_FLAGS gives --seed and SEEDS=\"{seeds}\" gives the seeds: use one of them")
    return found


def tf_config(workers: str, task: str) -> str:
    """TF_CONFIG of this server in the cluster WORKERS (host:port,host:port,…; the chief first)."""
    hosts = [h.strip() for h in workers.split(",") if h.strip()]
    if not re.fullmatch(r"[0-9]+", task) or int(task) >= len(hosts):
        raise error(f"TASK={task}: give this server's index in WORKERS, 0 to {len(hosts) - 1}")
    return json.dumps({"cluster": {"worker": hosts}, "task": {"type": "worker", "index": int(task)}})


# ---------------------------------------------------------------------------------------------- the children

class Runner:
    """Runs each child command to its end, one at a time. A SIGTERM or SIGINT of this process is passed on to the
    running child as SIGTERM; once the child has ended, the pipeline stops with the child's status (128 + the
    signal when the child ended well). A child that fails stops the pipeline with its status."""

    def __init__(self):
        self.child: subprocess.Popen | None = None
        self.signalled: int | None = None

    def install(self) -> None:
        """Set explicitly: a background job of a shell starts with SIGINT ignored, and would keep it."""
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        self.signalled = signum
        child = self.child
        if child is not None and child.returncode is None:
            try:
                child.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass

    def stopped(self) -> None:
        """Stop the pipeline here if a signal came."""
        if self.signalled is not None:
            raise Stop(128 + self.signalled)

    def run(self, cmd: list[str], env: dict[str, str] | None = None, capture: bool = False) -> str:
        """Run `cmd` with `env` added to the environment; its stdout when `capture`."""
        self.stopped()
        sys.stdout.flush()
        sys.stderr.flush()
        child = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, text=True,
                                 stdout=subprocess.PIPE if capture else None)
        self.child = child
        try:
            if self.signalled is not None:  # came before the child was known
                child.send_signal(signal.SIGTERM)
            out, _ = child.communicate()
        finally:
            if child.returncode is None:  # an exception here: the child must not outlive the pipeline
                child.kill()
                child.wait()
            self.child = None
        status = child.returncode if child.returncode >= 0 else 128 - child.returncode
        if self.signalled is not None:
            raise Stop(status or 128 + self.signalled)
        if status:
            raise Stop(status)
        return out or ""


class DryRunner(Runner):
    """Prints each command (with the environment it adds) instead of running it."""

    def run(self, cmd, env=None, capture=False) -> str:
        print("+", " ".join([*(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items()), *map(shlex.quote, cmd)]),
              flush=True)
        return "<its-output>" if capture else ""


# ---------------------------------------------------------------------------------------------- the pipeline

@dataclasses.dataclass
class Run:
    config: str  # the named configuration
    name: str  # its run directory's name
    seed: int | None = None
    att_layer: str = ""
    gpus: str = ""


class Pipeline:
    def __init__(self, settings: Settings, runner: Runner):
        self.s, self.runner = settings, runner
        self.py = sys.executable
        self.seeds = check_seeds(settings.seeds, settings.extra_flags)
        self.chief = settings.task == "0"
        if settings.workers:
            tf_config(settings.workers, settings.task)  # a bad TASK stops here
        self.runs = self.plan()  # an unknown configuration stops here
        self.data_dir = settings.data_dir or os.path.join(ROOT, "data")
        self.run_dir = settings.run_dir or os.path.join(ROOT, "runs")
        self.demo = check_data.demo_chosen(self.data_dir, bool(settings.data_dir), settings.demo or "auto")
        self.corpus = os.path.join(self.data_dir, check_data.DEMO_DIR) if self.demo else self.data_dir
        self.records = os.path.join(self.corpus, TRAIN_RECORDS)
        self.noisy = os.path.join(self.corpus, wav_dir("noisy", "test"))
        self.clean = os.path.join(self.corpus, wav_dir("clean", "test"))

    # -- lookups

    def seed_runs(self, config: str, **fields) -> list[Run]:
        """The runs of a configuration: unseeded without SEEDS, else NAME-seed<S> per seed."""
        if not self.seeds:
            return [Run(config, config, None, **fields)]
        return [Run(config, seed_run_name(config, s), s, **fields) for s in self.seeds]

    def plan(self) -> list[Run]:
        s = self.s
        for config in s.configs if s.mode != "ablation" else [ABLATION_CONFIG]:
            try:
                named_config(config)
            except ValueError as e:
                raise error(str(e))
        if s.mode == "ablation":  # one unseeded run per layer
            return [Run(ABLATION_CONFIG, f"{ABLATION_PREFIX}{k}", None, k, s.gpus) for k in s.layers]
        if s.mode == "paper":  # each on as many of GPUS as the paper's run script used
            gpus = s.gpus.split(",")
            return [r for c in s.configs for r in self.seed_runs(c, att_layer=s.att_layer,
                                                                 gpus=",".join(gpus[:paper_gpus(c)]))]
        return [r for c in s.configs for r in self.seed_runs(c, att_layer=s.att_layer, gpus=s.gpus)]

    @property
    def quick(self) -> bool:
        return self.demo or self.s.quick

    def runs_root(self) -> str:
        """Quick and demo runs apart, so they never meet the paper's runs."""
        if self.demo:
            return os.path.join(self.run_dir, "demo")
        return os.path.join(self.run_dir, "quick") if self.s.quick else self.run_dir

    def run_path(self, name: str) -> str:
        return os.path.join(self.runs_root(), name)

    def scored(self, names) -> list[str]:
        return [self.run_path(n) for n in names if os.path.isfile(os.path.join(self.run_path(n), RESULTS_JSON))]

    def test_env(self) -> dict[str, str]:
        """The tests run on the first of GPUS."""
        return {"CUDA_VISIBLE_DEVICES": self.s.gpus.split(",")[0]}

    # -- the whole

    def main(self) -> int:
        s = self.s
        if "check" in s.steps:
            self.check()
        if self.demo:
            print(f"The demo (no VoiceBank-DEMAND in {self.data_dir}, or DEMO=1; scripts/download_voicebank.py "
                  f"fetches it): the quick recipe on a small synthetic corpus in {self.corpus}.", flush=True)
        if "records" in s.steps:
            self.make_records()
        every_step = s.steps == STEPS
        for run in self.runs:
            if s.mode != "runs" and every_step and os.path.isfile(os.path.join(self.run_path(run.name), RESULTS_JSON)):
                print(f"{run.name}: {os.path.join(self.run_path(run.name), RESULTS_JSON)} exists, skipped", flush=True)
                continue
            start = time.monotonic()
            self.run_one(run)
            if s.mode != "runs" and any(step in s.steps for step in PER_RUN):
                print(f"{run.name}: done in {round(time.monotonic() - start)} s", flush=True)
        if "summary" in s.steps and self.chief:
            self.summary()
        return 0

    def check(self) -> None:
        """scripts/check_data.py's checks: every problem an `error:` line, then exit 1."""
        _, problems = check_data.check(self.data_dir, self.run_dir, bool(self.s.data_dir), self.s.demo or "auto")
        for line in problems:
            print(f"error: {line}", file=sys.stderr)
        if problems:
            raise Stop(1)

    def make_records(self) -> None:
        if self.demo:  # made anew only if an older generator made it
            self.runner.run([self.py, os.path.join(ROOT, "scripts", "make_demo_corpus.py"), "--out_dir", self.corpus,
                             "--only_if_outdated"])
        if not os.path.isfile(self.records + ".index.json"):
            self.runner.run([self.py, os.path.join(ROOT, "make_tfrecords.py"),
                             "--wav_dir", os.path.join(self.corpus, wav_dir("clean", "train"), ""),
                             "--noisy_dir", os.path.join(self.corpus, wav_dir("noisy", "train"), ""),
                             "--save_path", self.corpus, "--out_file", TRAIN_RECORDS])

    # -- one run

    def run_one(self, run: Run) -> None:
        steps, path = self.s.steps, self.run_path(run.name)
        if "train" in steps:
            self.train(run, path)
        if not self.chief:
            if "train" in steps:
                print(f"{run.name}: worker {self.s.task} done; the chief (TASK=0) tests the run", flush=True)
            return
        dirs = self.enhance(path) if "enhance" in steps else self.enhanced(path)
        if "score" in steps:
            self.runner.run([self.py, os.path.join(ROOT, "scripts", "evaluate.py"), "--clean_dir", self.clean,
                             "--noisy_dir", self.noisy, "--enhanced_dir", *dirs,
                             "--csv", os.path.join(path, "results.csv"), "--json", os.path.join(path, RESULTS_JSON),
                             "--markdown", os.path.join(path, "results.md")])
        if "plots" in steps:
            self.runner.run([self.py, os.path.join(ROOT, "scripts", "plots", "run.py"), "--run", path,
                             "--noisy_dir", self.noisy, "--clean_dir", self.clean])
            print(f"{run.name}: table above, also in {os.path.join(path, 'results.md')} (per file: "
                  f"{os.path.join(path, 'results.csv')}); pictures above", flush=True)
        if "report" in steps:  # its last line: listening report: RUN/report.html
            self.runner.run([self.py, os.path.join(ROOT, "scripts", "listening_report.py"), "--run", path,
                             "--noisy_dir", self.noisy, "--clean_dir", self.clean], env=self.test_env())

    def train_command(self, run: Run, path: str) -> list[str]:
        s = self.s
        flags = ["--seed", str(run.seed)] if run.seed is not None else []
        if self.quick:
            flags += ["--recipe", "quick"]  # common/config/recipes.py
        if run.att_layer:
            flags += ["--att_layer_ind", run.att_layer]
        if s.batch_size:
            flags += ["--batch_size", s.batch_size]
        if s.epochs:
            flags += ["--epoch", s.epochs]
        variant = named_config(run.config).variant
        return [self.py, os.path.join(ROOT, variant, "main.py"), "--config", run.config, *flags,
                *(["--xla"] if s.xla else []), "--mixed_precision", s.precision, *s.extra_flags.split(),
                "--e2e_dataset", self.records, "--save_path", path]

    def train_env(self, run: Run) -> dict[str, str]:
        env = {"CUDA_VISIBLE_DEVICES": run.gpus}
        if self.s.workers:
            env["TF_CONFIG"] = tf_config(self.s.workers, self.s.task)
        return env

    def train(self, run: Run, path: str) -> None:
        if self.quick:
            print(f"Quick recipe (not the paper's; docs/quick_recipe.md): {run.name} at a quarter of the channels, "
                  f"in {path}.", flush=True)
        self.runner.run(self.train_command(run, path), env=self.train_env(run))

    def enhance(self, path: str) -> list[str]:
        """The newest five readable checkpoints enhanced in one process; their folders."""
        out = self.runner.run([self.py, os.path.join(ROOT, "scripts", "enhance_checkpoints.py"), "--run", path,
                               "--last", str(TESTED_CHECKPOINTS), "--test_wav_dir", self.noisy,
                               *(["--xla"] if self.s.xla else [])], env=self.test_env(), capture=True)
        return [line for line in out.splitlines() if line]

    @staticmethod
    def enhanced(path: str) -> list[str]:
        """The newest five folders of RUN/enhanced/ (an earlier enhance step's)."""
        root = os.path.join(path, ENHANCED_DIR)
        steps = sorted(int(d) for d in os.listdir(root) if d.isdigit()) if os.path.isdir(root) else []
        return [os.path.join(root, str(step)) for step in steps[-TESTED_CHECKPOINTS:]]

    # -- after the runs

    def summary(self) -> None:
        root = self.runs_root()
        if self.s.mode == "paper":
            self.runner.run([self.py, os.path.join(ROOT, "scripts", "paper_table.py"), "--runs_root", root,
                             "--noisy_dir", self.noisy, "--clean_dir", self.clean])
            firsts = list(dict.fromkeys(r.name for r in self.runs if r.seed in (None, *self.seeds[:1])))
            scored = self.scored(firsts)  # the grid page plays the first seed of each configuration
            if len(scored) >= 2:  # its last line: listening grid: RUNS/grid.html
                self.runner.run([self.py, os.path.join(ROOT, "scripts", "listening_report.py"), "--grid", *scored,
                                 "--noisy_dir", self.noisy, "--clean_dir", self.clean, "--out", root],
                                env=self.test_env())
        elif self.s.mode == "ablation":
            self.runner.run([self.py, os.path.join(ROOT, "scripts", "plots", "ablation.py"), "--runs_root", root,
                             "--prefix", ABLATION_PREFIX, "--out", os.path.join(root, "ablation_att_layer.png")])
        elif self.seeds:
            for config in self.s.configs:
                self.seeds_summary(config, root)

    def seeds_summary(self, config: str, root: str) -> None:
        """The configuration over its scored seeds against its noisy input (mean over seeds, their spread, a paired
        test per metric), also in RUNS/NAME-seeds.md."""
        scored = self.scored(r.name for r in self.runs if r.config == config)
        if not scored:
            return
        md = os.path.join(root, f"{config}-seeds.md")
        print(f"{config} over {len(scored)} seed(s) against the noisy input:", flush=True)
        self.runner.run([self.py, os.path.join(ROOT, "scripts", "compare_runs.py"), "--noisy", *scored,
                         "--markdown", md])
        print(f"{config} over its seeds: {md}", flush=True)


def main(argv=None, runner: Runner | None = None) -> int:
    """Parse, then run the pipeline; the exit status (a child's when one failed or a signal came)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        settings = parse_args(argv)
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
