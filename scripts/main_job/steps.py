"""The main job's steps (scripts/pipeline.py lists them): check the data, make the records, then per run train,
enhance, score, plot and report, then sum up over the runs."""
from __future__ import annotations

import dataclasses
import os
import sys
import time

from common.audio.voicebank import TRAIN_RECORDS, wav_dir
from common.config.named_configs import named_config, paper_gpus
from common.rundir.layout import ENHANCED_DIR, RESULTS_JSON, TESTED_CHECKPOINTS, seed_run_name
from scripts import check_data
from scripts.main_job.children import Runner
from scripts.main_job.settings import (ABLATION_CONFIG, ABLATION_PREFIX, PER_RUN, STEPS, Settings, Stop, check_seeds,
                                       error, tf_config)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
