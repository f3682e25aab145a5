"""The faults a long run meets, through the command lines: a kill -9, a truncated checkpoint, a save killed
midway, changed flags on resume, test mode from flags.json alone, and seeds."""
import contextlib
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf

from common.config import cli
from common.main import main
from common.rundir import checkpoint_files, flags_file, layout
from common.system.errors import FlagsMismatch, RunDirError
from common.training.training_run import TrainingRun
from scripts import enhance_checkpoints
from tests.conftest import HOSTILE_NAME, TINY_MODEL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.slow  # kill -9, SIGTERM, run_isegan.sh end to end, and trainings behind every test
MODEL = [*TINY_MODEL, "--iterations", "2"]


def train_flags(records, run, *extra):
    return [*MODEL, "--e2e_dataset", str(records), "--save_path", str(run), "--batch_size", "2",
            "--save_freq", "2", "--log_freq", "1", *extra]


def losses_iterations(run):
    rows = (run / layout.LOSS_FILE).read_text().splitlines()[1:]
    return [int(r.split(",")[0]) for r in rows]


def test_kill_9_mid_training_then_resume(tiny_records, tmp_path):
    run = tmp_path / "run"
    cmd = [sys.executable, os.path.join(ROOT, "isegan", "main.py"), *train_flags(tiny_records, run, "--max_steps", "200", "--seed", "0")]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while not (run / "checkpoints" / "ckpt-6.index").exists():
        assert proc.poll() is None and time.time() < deadline, "training ended or stalled before ckpt-6"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = checkpoint_files.checkpoint_steps(str(run))[-1]
    assert 6 <= killed_at < 200, killed_at
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"from ckpt-{killed_at} (iteration {killed_at} of 200)" in out.stdout
    assert losses_iterations(run) == list(range(1, 201))  # nothing lost, nothing doubled
    assert checkpoint_files.checkpoint_steps(str(run)) == [192, 194, 196, 198, 200]
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "is complete (200 of 200 iterations)" in again.stdout


def test_sigterm_saves_at_the_current_iteration_and_the_resume_loses_none(tiny_records, tmp_path):
    """What a scheduler sends before preemption: the iteration under way ends, a checkpoint is saved at it,
    one line says so, exit 128 + 15; the same command then resumes from there. Meanwhile a second training
    of the same run stops at once, naming the first (the lock), and the history stays one trajectory."""
    run = tmp_path / "run"
    cmd = [sys.executable, os.path.join(ROOT, "isegan", "main.py"),
           *train_flags(tiny_records, run, "--max_steps", "100000", "--save_freq", "5", "--seed", "0")]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while not (run / "checkpoints" / "ckpt-5.index").exists():
        assert proc.poll() is None and time.time() < deadline, "training ended or stalled before ckpt-5"
        time.sleep(0.05)
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)  # the same run, again
    assert second.returncode == 1 and f"error: run directory {run} is in use by PID {proc.pid} on " in second.stderr
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    stopped = checkpoint_files.checkpoint_steps(str(run))[-1]
    assert proc.returncode == 143 and stopped >= 5, (proc.returncode, err[-2000:])
    assert f"stopped by SIGTERM at iteration {stopped}; saved ckpt-{stopped}; the same command resumes" in err
    assert losses_iterations(run) == list(range(1, stopped + 1))
    end = stopped + 10
    out = subprocess.run([*cmd, "--max_steps", str(end), "--allow_changes"], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and f"from ckpt-{stopped} (iteration {stopped} of {end})" in out.stdout
    assert losses_iterations(run) == list(range(1, end + 1))


def test_sigterm_to_a_run_script_stops_its_training_and_leaves_no_process(run_script_env, tmp_path):
    """The run script passes SIGTERM on to the training, waits for its save and exits with its status; it
    does not go on to testing, and no process of it is left."""
    env = {**run_script_env, "ATT_LAYER": "2", "EXTRA_FLAGS": run_script_env["EXTRA_FLAGS"] + " --max_steps 5000"}
    proc = subprocess.Popen(["bash", os.path.join(ROOT, "run_isegan.sh")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    run = tmp_path / HOSTILE_NAME / "runs" / "demo" / "ISEGAN-SA-2"
    try:
        deadline = time.time() + 300
        while not (run / "checkpoints" / "ckpt-2.index").exists():
            assert proc.poll() is None and time.time() < deadline, "training ended or stalled before ckpt-2"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 143, err[-2000:]
        assert re.search(r"stopped by SIGTERM at iteration \d+; saved ckpt-\d+", err) and not (run / "enhanced").exists()
        with pytest.raises(ProcessLookupError):  # nothing left in the script's process group
            os.killpg(proc.pid, 0)
    finally:  # an orphan of a failed run must not outlive the test
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def trained(tiny_records, tmp_path, one_replica):
    """A tiny ISEGAN-2 run trained to iteration 4 (checkpoints 2 and 4)."""
    run = tmp_path / "run"
    TrainingRun(cli.parse("isegan", train_flags(tiny_records, run, "--max_steps", "4")), one_replica).train()
    assert checkpoint_files.checkpoint_steps(str(run)) == [2, 4]
    return run


def truncate(run, step):
    data = next((run / "checkpoints").glob(f"ckpt-{step}.data-*"))
    data.write_bytes(data.read_bytes()[:data.stat().st_size // 2])


def test_truncated_newest_checkpoint_falls_back_everywhere(trained, tiny_records, demo_dir, tmp_path, capsys,
                                                          one_replica):
    truncate(trained, 4)
    noisy = demo_dir / "noisy_testset_wav_16k"
    assert main("isegan", ["--save_path", str(trained), "--test_wav_dir", str(noisy),
                           "--save_clean_path", str(tmp_path / "out")]) == 0
    err = capsys.readouterr()
    assert "ckpt-4 is unreadable" in err.err and "ckpt-2" in err.out
    with pytest.raises(SystemExit, match="ckpt-4 is unreadable"):  # asked for by name: no substitute
        main("isegan", ["--save_path", str(trained), "--weights", "4", "--test_wav_dir", str(noisy),
                        "--save_clean_path", str(tmp_path / "out")])
    assert enhance_checkpoints.main(["--run", str(trained), "--test_wav_dir", str(noisy)]) == 0  # what the run scripts test
    assert capsys.readouterr().out.split() == [str(trained / "enhanced" / "2")]
    (trained / "checkpoints" / "ckpt-6_temp").mkdir()  # what a save killed midway leaves
    (trained / "checkpoints" / "ckpt-6_temp" / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"x" * 100)
    tr = TrainingRun(cli.parse("isegan", train_flags(tiny_records, trained, "--max_steps", "6", "--allow_changes")),
                 one_replica)
    assert tr.train() == 6
    err = capsys.readouterr()
    assert "ckpt-4 is unreadable" in err.err and "ckpt-6_temp" in err.err and "from ckpt-2 (iteration 2 of 6)" in err.out
    assert checkpoint_files.checkpoint_steps(str(trained)) == [2, 4, 6]
    assert sorted(p.name for p in (trained / "corrupt").iterdir())[0].startswith("ckpt-4.data")
    assert not (trained / "checkpoints" / "ckpt-6_temp").exists()
    assert losses_iterations(trained) == list(range(1, 7))


def test_every_checkpoint_unreadable_stops_and_keeps_the_history(trained, tiny_records, one_replica, capsys):
    """Never a silent start from iteration 0: each unreadable checkpoint is moved to corrupt/, the run stops
    naming them, and so does every later attempt; losses.csv keeps its 4 iterations."""
    truncate(trained, 2)
    truncate(trained, 4)
    for _ in range(2):
        tr = TrainingRun(cli.parse("isegan", train_flags(tiny_records, trained, "--max_steps", "6",
                                                            "--allow_changes")), one_replica)
        with pytest.raises(RunDirError, match="no readable checkpoint to resume from \\(ckpt-2, ckpt-4 unreadable"):
            tr.train()
        assert checkpoint_files.checkpoint_steps(str(trained)) == [] and losses_iterations(trained) == [1, 2, 3, 4]
    assert "falling back" not in capsys.readouterr().err.splitlines()[-1]


def test_enhance_checkpoints_equals_test_mode_per_checkpoint(trained, demo_dir, tmp_path, capsys):
    noisy = tmp_path / "noisy"
    noisy.mkdir()
    names = sorted(os.listdir(demo_dir / "noisy_testset_wav_16k"))[:3]
    for name in names:
        os.symlink(demo_dir / "noisy_testset_wav_16k" / name, noisy / name)
    sf.write(str(noisy / "stereo.wav"), np.zeros((1600, 2)), 16000)
    assert enhance_checkpoints.main(["--run", str(trained), "--test_wav_dir", str(noisy), "--seed", "3"]) == 1  # stereo.wav
    out = capsys.readouterr()
    assert out.out.split() == [str(trained / "enhanced" / s) for s in ("2", "4")]
    assert out.err.count("stereo.wav") == 2
    for step in ("2", "4"):
        assert main("isegan", ["--save_path", str(trained), "--weights", step, "--seed", "3", "--test_wav_dir",
                               str(noisy), "--save_clean_path", str(tmp_path / step)]) == 1
        assert sorted(os.listdir(trained / "enhanced" / step)) == names
        for name in names:  # file for file what test mode writes: each checkpoint's own weights, the same z
            np.testing.assert_array_equal(sf.read(str(trained / "enhanced" / step / name))[0],
                                          sf.read(str(tmp_path / step / name))[0])
    assert not np.array_equal(*(sf.read(str(trained / "enhanced" / s / names[0]))[0] for s in ("2", "4")))
    assert enhance_checkpoints.main(["--run", str(trained), "--test_wav_dir", str(tmp_path / "none")]) == 1
    assert "none: no such directory" in capsys.readouterr().err


def test_changed_run_flags_stop_resume_unless_allowed(trained, tiny_records, one_replica):
    with pytest.raises(FlagsMismatch) as e:
        TrainingRun(cli.parse("isegan", train_flags(tiny_records, trained, "--max_steps", "4", "--batch_size", "3",
                                                   "--preemph", "0.9")), one_replica).train()
    assert "batch_size: 2 (saved) vs 3 (now)" in str(e.value) and "preemph: 0.95 (saved) vs 0.9 (now)" in str(e.value)
    with pytest.raises(FlagsMismatch, match="stages: 2 \\(saved\\) vs 3 \\(now\\)"):  # never, even when allowed
        TrainingRun(cli.parse("isegan", train_flags(tiny_records, trained, "--max_steps", "4", "--iterations", "3",
                                                   "--allow_changes")), one_replica).train()
    assert flags_file.load_flags(str(trained))["training"]["batch_size"] == 2  # flags.json untouched
    tr = TrainingRun(cli.parse("isegan", train_flags(tiny_records, trained, "--max_steps", "6", "--batch_size", "3",
                                                    "--g_learning_rate", "1e-3", "--allow_changes")), one_replica)
    tr.train()
    assert float(tr.trainer.g_opt.learning_rate.numpy()) == pytest.approx(1e-3)  # the new rate, not the checkpoint's
    saved = flags_file.load_flags(str(trained))
    assert saved["training"]["batch_size"] == 3
    assert saved["changes"] == [{"iteration": 4, "changes": ["batch_size: 2 (saved) vs 3 (now)",
                                                             "max_steps: 4 (saved) vs 6 (now)",
                                                             "g_learning_rate: 0.0002 (saved) vs 0.001 (now)"]}]


def test_test_mode_reads_the_model_from_flags_json_only(trained, demo_dir, tmp_path):
    noisy = demo_dir / "noisy_testset_wav_16k"

    def test_mode(out, *flags):
        return main("isegan", ["--save_path", str(trained), "--test_wav_dir", str(noisy),
                               "--save_clean_path", str(tmp_path / out), *flags])

    assert test_mode("a", "--seed", "1") == 0 and test_mode("b", "--seed", "1") == 0
    assert test_mode("c", "--seed", "2") == 0
    name = sorted(os.listdir(noisy))[0]
    a, b, c = (sf.read(str(tmp_path / d / name))[0] for d in "abc")
    np.testing.assert_array_equal(a, b)  # seeded: repeatable
    assert not np.array_equal(a, c)  # z matters: another seed, another output
    with pytest.raises(SystemExit, match="preemph: 0.95 \\(saved\\) vs 0.5"):
        test_mode("d", "--preemph", "0.5")
    os.remove(trained / layout.FLAGS_FILE)
    with pytest.raises(SystemExit, match="flags.json: no such file"):  # never a partial load
        test_mode("e")


def test_float_copies_of_the_test_set_enhance_alike(trained, demo_dir, tmp_path):
    """Test mode and enhance_checkpoints read a float or 24-bit copy of the noisy test set as the PCM_16
    original: the same enhanced files (float ones were read as silence)."""
    names = sorted(os.listdir(demo_dir / "noisy_testset_wav_16k"))[:2]
    outputs = {}
    for subtype in ("PCM_16", "FLOAT", "PCM_24"):
        noisy = tmp_path / subtype
        noisy.mkdir()
        for name in names:
            sf.write(str(noisy / name), sf.read(str(demo_dir / "noisy_testset_wav_16k" / name))[0], 16000,
                     subtype=subtype)
        assert main("isegan", ["--save_path", str(trained), "--seed", "1", "--test_wav_dir", str(noisy),
                               "--save_clean_path", str(tmp_path / f"out_{subtype}")]) == 0
        assert enhance_checkpoints.main(["--run", str(trained), "--test_wav_dir", str(noisy), "--seed", "1"]) == 0
        outputs[subtype] = [sf.read(str(d / n))[0] for d in (tmp_path / f"out_{subtype}", trained / "enhanced" / "4")
                            for n in names]
    assert np.abs(outputs["PCM_16"][0]).max() > 1e-3  # -60 dBFS: not silence, so the equality below means something
    for subtype in ("FLOAT", "PCM_24"):
        for a, b in zip(outputs["PCM_16"], outputs[subtype]):
            np.testing.assert_array_equal(a, b)


def test_seeded_runs_repeat(tiny_records, tmp_path, one_replica):
    for name in ("a", "b"):
        TrainingRun(cli.parse("isegan", train_flags(tiny_records, tmp_path / name, "--max_steps", "3", "--seed", "5")),
                one_replica).train()
    assert (tmp_path / "a" / layout.LOSS_FILE).read_text() == (tmp_path / "b" / layout.LOSS_FILE).read_text()


def test_run_isegan_sh_demo_end_to_end(demo_dir, tmp_path, run_script_env):
    """The main job itself with a small model: demo corpus → records → training → five checkpoints →
    enhancement from flags.json → the table beside the noisy input → the pictures → the listening report, in
    RUN_DIR/demo/<NAME>;
    with PRECISION=bfloat16 (the default path runs in tests/test_named_configs.py)."""
    env = {**run_script_env, "ATT_LAYER": "2", "EXTRA_FLAGS": run_script_env["EXTRA_FLAGS"] + " --max_steps 5",
           "PRECISION": "bfloat16"}
    out = subprocess.run(["bash", os.path.join(ROOT, "run_isegan.sh")], env=env, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    run = tmp_path / HOSTILE_NAME / "runs" / "demo" / "ISEGAN-SA-2"
    assert checkpoint_files.checkpoint_steps(str(run)) == [1, 2, 3, 4, 5]
    saved = flags_file.load_flags(str(run))
    assert saved["dataset"]["corpus"] == "demo" and saved["model"]["g_enc_depths"] == [8, 8, 16, 16, 32]
    assert saved["training"]["recipe"] == "quick" and saved["training"]["preemph"] == 0.8
    assert saved["training"]["mixed_precision"] == "bfloat16" and saved["flags"]["xla"] is False
    tests = sorted(os.listdir(demo_dir / "noisy_testset_wav_16k"))
    for step in range(1, 6):
        assert sorted(os.listdir(run / "enhanced" / str(step))) == tests
    assert "1 replica(s) x 2 windows = 2 windows per batch (--batch_size per replica)" in out.stdout  # BATCH_SIZE
    assert re.search(r"\d+ windows in .*segan\.tfrecords, ", out.stdout)
    assert not list(tmp_path.rglob("INJECTED")) and not os.path.exists(os.path.join(ROOT, "INJECTED"))
    table = (run / "results.md").read_text()
    assert "over 5" in table and "| Noisy: " in table and "Δ vs noisy" in table
    for picture in ("spectrograms.png", "training.png"):
        assert (run / picture).stat().st_size > 10_000 and f"wrote {run / picture}" in out.stdout
    assert (run / "report.html").is_file() and (run / "report" / "training.png").is_file()
    assert out.stdout.rstrip().splitlines()[-1] == f"listening report: {run / 'report.html'}"  # the job's last line
