"""The main job (scripts/pipeline.py), in-process: its child commands go to a FakeRunner that records them (nothing
trains; scripts/compare_runs.py runs for real, in-process), so each test sees which steps ran, with which flags
and environment, in which folders. Signal forwarding runs real processes; the run scripts are run with --dry_run."""
import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from common.config.named_configs import PAPER_CONFIGS
from scripts import compare_runs, pipeline
from scripts.main_job.settings import STEPS, Stop
from tests.fake_runs import scores_like, write_run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KNOBS = ("GPUS", "ATT_LAYER", "BATCH_SIZE", "EPOCHS", "DATA_DIR", "DEMO", "RUN_DIR", "QUICK", "XLA", "PRECISION",
         "WORKERS", "TASK", "SEEDS", "EXTRA_FLAGS", "STEPS")
SCRIPT_STEP = {"make_demo_corpus.py": "records", "make_tfrecords.py": "records", "main.py": "train",
               "enhance_checkpoints.py": "enhance", "evaluate.py": "score", "run.py": "plots",
               "listening_report.py": "report", "compare_runs.py": "summary", "paper_table.py": "summary",
               "ablation.py": "summary"}


def step_of(cmd: list[str]) -> str:
    return "summary" if "--grid" in cmd else SCRIPT_STEP[os.path.basename(cmd[1])]


class FakeRunner(pipeline.Runner):
    """Records each command as (step, command, environment added); enhance prints five folders; a step in `fail`
    fails with that status."""

    def __init__(self, fail=None):
        super().__init__()
        self.commands, self.fail = [], fail or {}

    def run(self, cmd, env=None, capture=False):
        step = step_of(cmd)
        self.commands.append((step, cmd, env or {}))
        if step in self.fail:
            raise Stop(self.fail[step])
        if os.path.basename(cmd[1]) == "compare_runs.py":
            sys.stdout.flush()
            if status := compare_runs.main(cmd[2:]):
                raise Stop(status)
        if step == "enhance":
            return "".join(f"{flag_of(cmd, '--run')}/enhanced/{k}\n" for k in range(1, 6))
        return ""

    def steps(self) -> list[str]:
        return [step for step, _, _ in self.commands]

    def of(self, step: str) -> list[tuple[list[str], dict]]:
        return [(cmd, env) for s, cmd, env in self.commands if s == step]


def flag_of(cmd, flag):
    return cmd[cmd.index(flag) + 1] if flag in cmd else None


@pytest.fixture
def main(monkeypatch, capsys, tmp_path):
    """main(*argv, **environment) → (status, stdout lines, stderr lines, runner): the pipeline on the demo corpus
    (DATA_DIR=tmp/data, DEMO=1) into RUN_DIR=tmp/runs unless the environment says otherwise."""
    def run(*argv, fail=None, **environ):
        for knob in KNOBS:
            monkeypatch.delenv(knob, raising=False)
        for knob, value in {"DATA_DIR": str(tmp_path / "data"), "DEMO": "1", "RUN_DIR": str(tmp_path / "runs"),
                            **environ}.items():
            monkeypatch.setenv(knob, value)
        runner = FakeRunner(fail)
        status = pipeline.main(list(argv), runner)
        out, err = capsys.readouterr()
        return status, out.splitlines(), err.splitlines(), runner
    return run


def voicebank(root):
    """The four VoiceBank folders with one pair each (the check reads names only)."""
    for kind in ("clean", "noisy"):
        for split in ("train", "test"):
            (root / f"{kind}_{split}set_wav_16k").mkdir(parents=True)
            (root / f"{kind}_{split}set_wav_16k" / "p1.wav").write_bytes(b"")
    return root


# ------------------------------------------------------------------------------------------------ seeds

def test_each_seed_is_a_run_then_the_seeds_are_summarised(main, tmp_path, rng):
    demo = tmp_path / "runs" / "demo"
    noisy = scores_like(rng)
    for seed in (2, 0):
        write_run(demo, f"ISEGAN-SA-2-seed{seed}", [scores_like(rng, shift=1.0) for _ in range(3)], noisy, seed=seed)
    status, out, err, runner = main("ISEGAN-SA-2", SEEDS="2 0 5")  # seed 5 trained but never scored: left out
    assert status == 0, err
    trained = [(flag_of(cmd, "--save_path"), flag_of(cmd, "--seed")) for cmd, _ in runner.of("train")]
    assert trained == [(str(demo / f"ISEGAN-SA-2-seed{s}"), s) for s in ("2", "0", "5")]
    assert runner.steps() == ["records", "records", *["train", "enhance", "score", "plots", "report"] * 3, "summary"]
    summary = demo / "ISEGAN-SA-2-seeds.md"
    at = out.index("ISEGAN-SA-2 over 2 seed(s) against the noisy input:")
    assert out[at - 1].startswith("ISEGAN-SA-2-seed5: table above")
    assert out[-1] == f"ISEGAN-SA-2 over its seeds: {summary}"
    assert runner.of("summary")[0][0][2:] == ["--noisy", str(demo / "ISEGAN-SA-2-seed2"),
                                             str(demo / "ISEGAN-SA-2-seed0"), "--markdown", str(summary)]
    text = summary.read_text()
    assert "| ISEGAN-SA-2 | " in text and "| 2, 0 |" in text  # one configuration of the two scored seeds
    assert "- ISEGAN-SA-2 better than its noisy input on PESQ: " in text


def test_without_seeds_one_unseeded_run_and_no_summary(main, tmp_path):
    status, out, _, runner = main("ISEGAN-SA-2")
    assert status == 0
    [(cmd, _)] = runner.of("train")
    assert flag_of(cmd, "--save_path") == str(tmp_path / "runs" / "demo" / "ISEGAN-SA-2") and "--seed" not in cmd
    assert runner.of("summary") == [] and not list(tmp_path.rglob("*-seeds.md"))


@pytest.mark.parametrize("seeds,extra,message", [
    ("0 x", "", "SEEDS=\"0 x\": 'x' is not a non-negative integer"),
    ("1 -2", "", "SEEDS=\"1 -2\": '-2' is not a non-negative integer"),
    ("0 1 0", "", "SEEDS=\"0 1 0\": seed 0 is given twice"),
    ("*", "", "SEEDS=\"*\": '*' is not a non-negative integer"),
    ("0 1", "--allow_changes --seed 4", "EXTRA_FLAGS gives --seed and SEEDS=\"0 1\" gives the seeds: use one of them"),
    ("0 1", "--seed=4", "EXTRA_FLAGS gives --seed and SEEDS=\"0 1\" gives the seeds: use one of them")])
def test_bad_seeds_stop_before_any_work(main, tmp_path, seeds, extra, message):
    status, out, err, runner = main("SEGAN", SEEDS=seeds, EXTRA_FLAGS=extra)
    assert (status, out, err, runner.commands) == (2, [], [f"error: {message}"], [])
    assert not (tmp_path / "runs").exists() and not (tmp_path / "data").exists()


def test_a_seed_flag_without_seeds_goes_to_training(main):
    status, _, _, runner = main("SEGAN", EXTRA_FLAGS="--seed 4  --allow_changes", STEPS="train")
    cmd = runner.of("train")[0][0]
    assert status == 0 and cmd[cmd.index("float32") + 1:][:3] == ["--seed", "4", "--allow_changes"]


# ------------------------------------------------------------------------------------------------ steps

def test_every_step_in_order_by_default(main, tmp_path):
    status, out, _, runner = main("DSEGAN-2")
    assert status == 0
    assert runner.steps() == ["records", "records", "train", "enhance", "score", "plots", "report"]
    run = tmp_path / "runs" / "demo" / "DSEGAN-2"
    score = runner.of("score")[0][0]
    assert score[score.index("--enhanced_dir") + 1:score.index("--csv")] == [f"{run}/enhanced/{k}" for k in range(1, 6)]
    assert flag_of(score, "--json") == str(run / "results.json")
    assert out[-1] == f"DSEGAN-2: table above, also in {run / 'results.md'} (per file: {run / 'results.csv'}); " \
                      "pictures above"


def test_chosen_steps_rerun_an_existing_run(main, tmp_path):
    """Scoring again takes the newest five folders of RUN/enhanced/; nothing else runs."""
    run = tmp_path / "runs" / "demo" / "ISEGAN-SA-2"
    for k in (2, 10, 4, 6, 8, 12):
        (run / "enhanced" / str(k)).mkdir(parents=True)
    (run / "enhanced" / "notes").mkdir()
    status, _, _, runner = main("ISEGAN-SA-2", "--steps", "report,score plots")
    assert status == 0 and runner.steps() == ["score", "plots", "report"]
    score = runner.of("score")[0][0]
    assert score[score.index("--enhanced_dir") + 1:score.index("--csv")] == [
        str(run / "enhanced" / str(k)) for k in (4, 6, 8, 10, 12)]
    status, _, _, runner = main("ISEGAN-SA-2", STEPS="score")  # the environment's STEPS
    assert status == 0 and runner.steps() == ["score"]
    status, _, _, runner = main("ISEGAN-SA-2", "--from", "enhance", STEPS="train")  # the flag wins
    assert status == 0 and runner.steps() == ["enhance", "score", "plots", "report"]
    status, _, _, runner = main("ISEGAN-SA-2", "--steps", "check")
    assert status == 0 and runner.steps() == []


@pytest.mark.parametrize("argv,environ,message", [
    (["--steps", "train,stages"], {}, "--steps train,stages: unknown step 'stages'"),
    (["--from", "scoring"], {}, "--from scoring: unknown step 'scoring'"),
    ([], {"STEPS": "plot"}, "STEPS=\"plot\": unknown step 'plot'")])
def test_an_unknown_step_is_one_line_naming_the_steps(main, argv, environ, message):
    status, out, err, runner = main("SEGAN", *argv, **environ)
    assert (status, out, runner.commands) == (2, [], [])
    assert err == [f"error: {message}; the steps are check, records, train, enhance, score, plots, report, summary"]
    assert STEPS == ("check", "records", "train", "enhance", "score", "plots", "report", "summary")


def test_an_unknown_configuration_stops_before_any_work(main, tmp_path):
    status, out, err, runner = main("ISEGAN-0")
    assert status == 2 and out == [] and runner.commands == []
    assert len(err) == 1 and err[0].startswith("error: unknown configuration 'ISEGAN-0'")


def test_a_failed_step_stops_the_pipeline_with_its_status(main):
    status, _, _, runner = main("SEGAN", SEEDS="0 1", fail={"train": 3})
    assert status == 3 and runner.steps() == ["records", "records", "train"]


# ------------------------------------------------------------------------------------------------ the check

def test_a_data_dir_without_voicebank_stops_before_any_work(main, tmp_path):
    status, out, err, runner = main("ISEGAN-SA-2", DATA_DIR=str(tmp_path / "my data"), DEMO="")
    assert (status, out, runner.commands) == (1, [], [])
    assert len(err) == 1 and err[0].startswith(f"error: DATA_DIR={tmp_path / 'my data'} holds no VoiceBank-DEMAND")
    assert not (tmp_path / "my data").exists() and list((tmp_path / "runs").iterdir()) == []


def test_an_unwritable_run_dir_stops_before_the_records(main, tmp_path):
    (tmp_path / "runs").write_text("")
    status, out, err, runner = main("SEGAN")
    assert (status, out, runner.commands) == (1, [], [])
    assert err == [f"error: RUN_DIR={tmp_path / 'runs'}: runs cannot be written there (not a directory)"]


# ------------------------------------------------------------------------------------------------ folders

def test_demo_quick_and_paper_folders(main, tmp_path):
    status, out, _, runner = main("SEGAN")  # the demo corpus: the quick recipe in RUN_DIR/demo
    demo = tmp_path / "data" / "demo"
    assert status == 0 and out[0] == (f"The demo (no VoiceBank-DEMAND in {tmp_path / 'data'}, or DEMO=1; "
                                      f"scripts/download_voicebank.py fetches it): the quick recipe on a small "
                                      f"synthetic corpus in {demo}.")
    assert runner.of("records")[0][0][2:] == ["--out_dir", str(demo), "--only_if_outdated"]
    cmd = runner.of("train")[0][0]
    assert flag_of(cmd, "--recipe") == "quick" and flag_of(cmd, "--e2e_dataset") == str(demo / "segan.tfrecords")
    assert flag_of(cmd, "--save_path") == str(tmp_path / "runs" / "demo" / "SEGAN")
    assert flag_of(runner.of("enhance")[0][0], "--test_wav_dir") == str(demo / "noisy_testset_wav_16k")

    vb = voicebank(tmp_path / "vb")
    (vb / "segan.tfrecords.index.json").write_text("{}")  # the records exist: not rebuilt
    for environ, folder, recipe in (({"QUICK": "1"}, tmp_path / "runs" / "quick", "quick"),
                                    ({}, tmp_path / "runs", None)):
        status, out, _, runner = main("SEGAN", DATA_DIR=str(vb), DEMO="", **environ)
        cmd = runner.of("train")[0][0]
        assert status == 0 and runner.of("records") == [] and not any(line.startswith("The demo") for line in out)
        assert flag_of(cmd, "--save_path") == str(folder / "SEGAN") and flag_of(cmd, "--recipe") == recipe
        assert flag_of(cmd, "--e2e_dataset") == str(vb / "segan.tfrecords")
        assert flag_of(runner.of("score")[0][0], "--clean_dir") == str(vb / "clean_testset_wav_16k")


def test_the_training_flags_and_devices(main, tmp_path):
    status, _, _, runner = main("ISEGAN-SA-3", "--gpus", "2,3", "--att_layer", "4", "--batch_size", "7",
                                "--epochs", "9", XLA="1", PRECISION="bfloat16", EXTRA_FLAGS="--max_steps 5 --seed 1")
    assert status == 0
    [(cmd, env)] = runner.of("train")
    assert cmd[:2] == [sys.executable, os.path.join(ROOT, "isegan", "main.py")]
    assert cmd[2:18] == ["--config", "ISEGAN-SA-3", "--recipe", "quick", "--att_layer_ind", "4", "--batch_size", "7",
                         "--epoch", "9", "--xla", "--mixed_precision", "bfloat16", "--max_steps", "5", "--seed"]
    assert env == {"CUDA_VISIBLE_DEVICES": "2,3"}  # training on GPUS, the tests on the first
    assert [env for step, _, env in runner.commands if step in ("enhance", "report")] == [
        {"CUDA_VISIBLE_DEVICES": "2"}] * 2
    assert "--xla" in runner.of("enhance")[0][0]
    status, _, _, runner = main("SEGAN", GPUS="5", STEPS="train")  # the environment's GPUS when no flag
    assert runner.of("train")[0][1] == {"CUDA_VISIBLE_DEVICES": "5"}
    assert flag_of(runner.of("train")[0][0], "--mixed_precision") == "float32"  # the paper's


def test_the_paper_grid_on_the_paper_gpus_skips_scored_runs_then_the_table_and_the_grid(main, tmp_path, rng):
    demo = tmp_path / "runs" / "demo"
    write_run(demo, "ISEGAN-SA-2-seed3", [scores_like(rng)], scores_like(rng), seed=3)
    write_run(demo, "SEGAN-seed3", [scores_like(rng)], scores_like(rng), seed=3)
    status, out, _, runner = main("--paper", "SEGAN", "ISEGAN-SA-2", "--gpus", "4,5", SEEDS="3 1")
    assert status == 0
    assert [(flag_of(cmd, "--save_path"), env["CUDA_VISIBLE_DEVICES"]) for cmd, env in runner.of("train")] == [
        (str(demo / "SEGAN-seed1"), "4"), (str(demo / "ISEGAN-SA-2-seed1"), "4,5")]
    assert f"SEGAN-seed3: {demo / 'SEGAN-seed3' / 'results.json'} exists, skipped" in out
    assert any(line.startswith("ISEGAN-SA-2-seed1: done in ") for line in out)
    table, grid = (cmd for cmd, _ in runner.of("summary"))
    assert table[1:4] == [os.path.join(ROOT, "scripts", "paper_table.py"), "--runs_root", str(demo)]
    assert grid[2:5] == ["--grid", str(demo / "SEGAN-seed3"), str(demo / "ISEGAN-SA-2-seed3")]  # the first seeds
    assert flag_of(grid, "--out") == str(demo)
    status, _, _, runner = main("--paper", "--steps", "score", "--gpus", "4,5")  # chosen steps: every run, scored too
    assert status == 0 and len(runner.of("score")) == len(PAPER_CONFIGS)


def test_the_ablation_one_run_per_layer_then_the_plot(main, tmp_path, rng):
    demo = tmp_path / "runs" / "demo"
    write_run(demo, "SASEGAN-L2", [scores_like(rng)])
    status, out, _, runner = main("--ablation", "0 2,3", SEEDS="")
    assert status == 0
    assert [(flag_of(c, "--config"), flag_of(c, "--att_layer_ind"), flag_of(c, "--save_path"))
            for c, _ in runner.of("train")] == [("SASEGAN", k, str(demo / f"SASEGAN-L{k}")) for k in ("0", "3")]
    assert any(line.startswith("SASEGAN-L2: ") and line.endswith("exists, skipped") for line in out)
    [(plot, _)] = runner.of("summary")
    assert plot[1] == os.path.join(ROOT, "scripts", "plots", "ablation.py")
    assert flag_of(plot, "--out") == str(demo / "ablation_att_layer.png")


# ------------------------------------------------------------------------------------------------ several servers

def test_tf_config_for_workers_the_chief_tests_the_others_only_train(main, tmp_path):
    workers = 'h"1:2222,10.0.0.2:2222'  # a quote stays a quote: the JSON is built, not pasted
    status, out, _, runner = main("ISEGAN-SA-2", WORKERS=workers, TASK="1", SEEDS="0 1")
    assert status == 0
    assert runner.steps() == ["records", "records", "train", "train"]
    for _, env in runner.of("train"):
        assert json.loads(env["TF_CONFIG"]) == {"cluster": {"worker": ['h"1:2222', "10.0.0.2:2222"]},
                                                "task": {"type": "worker", "index": 1}}
    assert "ISEGAN-SA-2-seed0: worker 1 done; the chief (TASK=0) tests the run" in out
    status, _, _, runner = main("ISEGAN-SA-2", WORKERS=workers)  # TASK empty: the chief
    assert status == 0 and runner.steps()[2:] == ["train", "enhance", "score", "plots", "report"]
    assert json.loads(runner.of("train")[0][1]["TF_CONFIG"])["task"] == {"type": "worker", "index": 0}
    assert "TF_CONFIG" not in runner.of("enhance")[0][1]
    status, _, _, runner = main("SEGAN")
    assert "TF_CONFIG" not in runner.of("train")[0][1]  # one server: no cluster
    for task in ("2", "x"):
        status, _, err, runner = main("SEGAN", WORKERS=workers, TASK=task)
        assert (status, err, runner.commands) == (2, [f"error: TASK={task}: give this server's index in WORKERS, "
                                                      "0 to 1"], [])


# ------------------------------------------------------------------------------------------------ signals

CHILD = """import os, pathlib, signal, sys, time
def on_term(signum, frame):
    pathlib.Path(sys.argv[1]).write_text(str(signum))
    sys.exit(int(sys.argv[2]))
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, signal.SIG_IGN)  # only the pipeline's SIGTERM stops it
pathlib.Path(sys.argv[1] + ".pid").write_text(str(os.getpid()))
time.sleep(120)
"""

PIPELINE = """import sys
from scripts import pipeline
child = sys.argv[1:4]
pipeline.Pipeline.train_command = lambda self, run, path: [sys.executable, *child]
sys.exit(pipeline.main(["SEGAN", "--steps", "train,enhance"]))
"""


@pytest.mark.parametrize("signum,child_status,status", [(signal.SIGTERM, 143, 143), (signal.SIGINT, 77, 77),
                                                        (signal.SIGINT, 0, 130)])
def test_a_signal_reaches_the_child_as_sigterm_and_the_pipeline_exits_with_its_status(tmp_path, signum, child_status,
                                                                                       status):
    """The pipeline as a shell's background job (SIGINT ignored, inherited), the training replaced by a child that
    records the signal it gets: SIGTERM or SIGINT to the pipeline reaches the child as SIGTERM, the pipeline waits
    for it, runs no further step and exits with the child's status (128 + the signal if the child ended well)."""
    (tmp_path / "child.py").write_text(CHILD)
    got = tmp_path / "got"
    env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    env.update(DATA_DIR=str(tmp_path / "data"), DEMO="1", RUN_DIR=str(tmp_path / "runs"))
    proc = subprocess.Popen([sys.executable, "-c", PIPELINE, str(tmp_path / "child.py"), str(got), str(child_status)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    child = None
    try:
        deadline = time.time() + 60
        while not (tmp_path / "got.pid").exists():
            assert proc.poll() is None and time.time() < deadline, proc.stderr.read() if proc.poll() else "stalled"
            time.sleep(0.05)
        child = int((tmp_path / "got.pid").read_text())
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=20)
    finally:  # nothing of a failed test outlives it
        for pid in (proc.pid, child):
            with contextlib.suppress(ProcessLookupError, TypeError):
                os.kill(pid, signal.SIGKILL)
        proc.wait()
    assert (proc.returncode, got.read_text()) == (status, str(int(signal.SIGTERM))), err
    assert "enhance_checkpoints" not in out + err  # stopped after the training
    with pytest.raises(ProcessLookupError):  # the child ended with the pipeline
        os.kill(child, 0)


# ------------------------------------------------------------------------------------------------ the run scripts

@pytest.mark.parametrize("script,environ,expected", [
    ("run_segan.sh", {"SA": "1"}, [("SASEGAN", "0", "segan")]),
    ("run_isegan.sh", {"ATT_LAYER": "3", "BATCH_SIZE": "7", "EPOCHS": "9"}, [("ISEGAN-SA-2", "0,1", "isegan")]),
    ("run_dsegan.sh", {"N": "3", "SA": "1", "GPUS": "2,3"}, [("DSEGAN-SA-3", "2,3", "dsegan")]),
    ("scripts/run_paper.sh", {"CONFIGS": "SEGAN DSEGAN-2"}, [("SEGAN", "0", "segan"), ("DSEGAN-2", "0,1", "dsegan")]),
    ("scripts/ablation_att_layer.sh", {"LAYERS": "1 4"}, [("SASEGAN", "0", "segan")] * 2)])
def test_the_run_scripts_pass_their_parameters(tmp_path, script, environ, expected):
    env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    env.update(DATA_DIR=str(tmp_path / "data"), DEMO="1", RUN_DIR=str(tmp_path / "runs"), **environ)
    out = subprocess.run(["bash", os.path.join(ROOT, script), "--dry_run", "--steps", "train"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    trains = [line.split() for line in out.stdout.splitlines() if line.startswith("+ ")]
    assert [(flag_of(c, "--config"), c[1].split("=")[1], os.path.basename(os.path.dirname(c[3])))
            for c in trains] == expected
    if "ATT_LAYER" in environ:
        assert [flag_of(trains[0], f) for f in ("--att_layer_ind", "--batch_size", "--epoch")] == ["3", "7", "9"]
    if "LAYERS" in environ:
        assert [flag_of(c, "--att_layer_ind") for c in trains] == ["1", "4"]


def test_the_infrastructure_is_read_in_the_pipeline_only():
    """The run scripts set the research parameters; the rest is documented once, in the pipeline's --help."""
    for knob in ("DATA_DIR", "DEMO", "RUN_DIR", "QUICK", "XLA", "PRECISION", "WORKERS", "TASK", "SEEDS",
                 "EXTRA_FLAGS", "STEPS"):
        assert f"\n    {knob} " in pipeline.__doc__, knob
    for script in ("run_segan.sh", "run_isegan.sh", "run_dsegan.sh", "scripts/run_paper.sh",
                   "scripts/ablation_att_layer.sh"):
        text = open(os.path.join(ROOT, script)).read()
        for knob in ("RUN_DIR", "QUICK", "XLA", "PRECISION", "WORKERS", "TASK", "SEEDS", "EXTRA_FLAGS", "STEPS"):
            assert f"\n{knob}=" not in text, (script, knob)
        assert text.count("scripts/pipeline.py\"") == 1, script  # one visible command
