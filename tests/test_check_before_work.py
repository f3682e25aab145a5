"""Problems found before the hours are spent, each as one `error:` line naming the path: the run scripts' check of
the corpus and the outputs (scripts/check_data.py), records of another canvas, outputs that cannot be written,
outputs into a run another process writes, a full disk at a checkpoint."""
import errno
import os
import subprocess

import pytest
import soundfile as sf

from common.rundir import checkpoint_files, layout
from common.system import errors
from common.system.errors import InputError, RunDirError
from scripts import check_data, evaluate
from tests.conftest import tiny_args

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FOLDERS = check_data.FOLDERS  # clean/noisy × train/test


def voicebank(root, rng, names=("a.wav", "b.wav")):
    """A VoiceBank-like layout: the four folders with the same short files."""
    for folder in FOLDERS:
        os.makedirs(root / folder, exist_ok=True)
        for name in names:
            sf.write(root / folder / name, 0.1 * rng.standard_normal(1600), 16000, subtype="PCM_16")
    return root


def check(capsys, *argv):
    """check_data.main → (status, what it printed, the error lines)."""
    status = check_data.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out.strip(), [line for line in err.splitlines() if line]


def test_the_demo_only_for_an_unset_data_dir_without_voicebank(tmp_path, capsys, rng):
    runs = tmp_path / "runs"
    assert check(capsys, tmp_path / "data", "--runs", runs) == (0, "demo", [])
    status, out, err = check(capsys, tmp_path / "data", "--runs", runs, "--given")
    assert status == 1 and out == "" and len(err) == 1
    assert err[0].startswith(f"error: DATA_DIR={tmp_path / 'data'} holds no VoiceBank-DEMAND") and "DEMO=1" in err[0]
    assert check(capsys, tmp_path / "data", "--runs", runs, "--given", "--demo", "1") == (0, "demo", [])
    assert check(capsys, voicebank(tmp_path / "vb", rng=rng), "--runs", runs, "--given") == (0, "voicebank", [])
    assert check(capsys, tmp_path / "vb", "--runs", runs) == (0, "voicebank", [])  # default DATA_DIR, VoiceBank in it


def test_half_a_voicebank_is_an_error_not_a_demo(tmp_path, capsys, rng):
    voicebank(tmp_path / "vb", rng=rng)
    for folder in FOLDERS[2:]:  # the test set missing
        for f in (tmp_path / "vb" / folder).iterdir():
            f.unlink()
        (tmp_path / "vb" / folder).rmdir()
    status, out, err = check(capsys, tmp_path / "vb", "--runs", tmp_path / "runs")
    assert status == 1 and out == ""
    assert err == [f"error: {tmp_path / 'vb'} lacks {', '.join(FOLDERS[2:])} (VoiceBank-DEMAND at 16 kHz: "
                   f"scripts/download_voicebank.py)"]


def test_every_problem_of_the_corpus_and_the_outputs_is_named(tmp_path, capsys, rng):
    vb = voicebank(tmp_path / "vb", rng=rng)
    for f in (vb / "clean_testset_wav_16k").iterdir():
        f.unlink()  # an empty clean test folder
    (vb / "noisy_trainset_wav_16k" / "b.wav").rename(vb / "noisy_trainset_wav_16k" / "c.wav")  # partners apart
    (tmp_path / "runs").write_text("")  # RUN_DIR is a file
    status, out, err = check(capsys, vb, "--runs", tmp_path / "runs", "--given")
    assert status == 1 and out == ""
    assert sorted(err) == sorted([
        f"error: {vb / 'clean_testset_wav_16k'} holds no .wav file",
        f"error: {vb / 'noisy_trainset_wav_16k'}: 1 file(s) without a partner in {vb / 'clean_trainset_wav_16k'}: c.wav",
        f"error: {vb / 'clean_trainset_wav_16k'}: 1 file(s) without a partner in {vb / 'noisy_trainset_wav_16k'}: b.wav",
        f"error: RUN_DIR={tmp_path / 'runs'}: runs cannot be written there (not a directory)"])


def test_clean_and_noisy_as_one_folder_is_refused(tmp_path, capsys, rng):
    vb = voicebank(tmp_path / "vb", rng=rng)
    for f in (vb / "noisy_testset_wav_16k").iterdir():
        f.unlink()
    (vb / "noisy_testset_wav_16k").rmdir()
    os.symlink(vb / "clean_testset_wav_16k", vb / "noisy_testset_wav_16k")
    status, _, err = check(capsys, vb, "--runs", tmp_path / "runs")
    assert status == 1 and err == [f"error: {vb / 'clean_testset_wav_16k'} and {vb / 'noisy_testset_wav_16k'} are "
                                   f"one folder: clean and noisy would be the same files"]


def test_a_run_script_with_a_data_dir_without_voicebank_stops_before_any_work(tmp_path, run_script_env):
    env = {**run_script_env, "DATA_DIR": str(tmp_path / "my data"), "RUN_DIR": str(tmp_path / "runs")}
    del env["DEMO"]
    out = subprocess.run(["bash", os.path.join(ROOT, "run_isegan.sh")], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.splitlines() == [
        f"error: DATA_DIR={tmp_path / 'my data'} holds no VoiceBank-DEMAND (none of {', '.join(FOLDERS)}; "
        f"scripts/download_voicebank.py fetches it); DEMO=1 runs the demo corpus in {tmp_path / 'my data' / 'demo'} "
        f"instead"]
    assert not (tmp_path / "my data").exists() and list((tmp_path / "runs").iterdir()) == []


@pytest.mark.parametrize("seeds,extra,error", [
    ("0 x", "", "error: SEEDS=\"0 x\": 'x' is not a non-negative integer"),
    ("1 -2", "", "error: SEEDS=\"1 -2\": '-2' is not a non-negative integer"),
    ("0 1 0", "", "error: SEEDS=\"0 1 0\": seed 0 is given twice"),
    ("*", "", "error: SEEDS=\"*\": '*' is not a non-negative integer"),
    ("0 1", "--seed 4", "error: EXTRA_FLAGS gives --seed and SEEDS=\"0 1\" gives the seeds: use one of them"),
    ("0 1", "--seed=4", "error: EXTRA_FLAGS gives --seed and SEEDS=\"0 1\" gives the seeds: use one of them")])
def test_bad_seeds_stop_a_run_script_before_any_work(tmp_path, run_script_env, seeds, extra, error):
    env = {**run_script_env, "SEEDS": seeds, "EXTRA_FLAGS": extra, "RUN_DIR": str(tmp_path / "runs")}
    out = subprocess.run(["bash", os.path.join(ROOT, "run_segan.sh")], env=env, capture_output=True, text=True,
                         timeout=120)
    assert (out.returncode, out.stdout, out.stderr.splitlines()) == (2, "", [error])
    assert not (tmp_path / "runs").exists()


def test_records_of_another_canvas_stop_training_before_the_first_step(tiny_records, tmp_path, one_replica):
    from common.training.training_run import TrainingRun

    args = tiny_args("isegan", tmp_path / "run", tiny_records, "--canvas_size", "1024", "--max_steps", "2")
    with pytest.raises(InputError, match=f"{tiny_records}: records of 512-sample windows .* for a model of "
                                         f"--canvas_size 1024: rebuild them"):
        TrainingRun(args, one_replica).train()
    assert not (tmp_path / "run" / layout.CHECKPOINT_DIR).exists()


def test_an_unwritable_output_is_refused_before_the_scoring(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate.scoring, "score_dirs", lambda *a, **k: pytest.fail("scored"))
    (tmp_path / "clean").mkdir()
    (tmp_path / "file").write_text("")
    for flag, path, problem in (("--json", tmp_path / "file" / "r.json",
                                 f"cannot be written in {tmp_path / 'file'} \\(not a directory\\)"),
                                ("--csv", tmp_path, "is a directory")):
        with pytest.raises(SystemExit, match=f"^error: {flag} {path}: {problem}$"):
            evaluate.main(["--clean_dir", str(tmp_path / "clean"), "--enhanced_dir", str(tmp_path / "clean"),
                           flag, str(path)])


def test_results_and_test_mode_into_a_run_another_process_writes_are_refused(tiny_run, tmp_path, monkeypatch):
    from common import main as common_main

    monkeypatch.setattr(evaluate.scoring, "score_dirs", lambda *a, **k: pytest.fail("scored"))
    run = str(tiny_run)
    with layout.lock(run):  # held here: flock refuses a second open of the file in this process too
        with pytest.raises(SystemExit, match=f"^error: run directory {run} is in use by PID {os.getpid()} "):
            evaluate.main(["--clean_dir", str(tmp_path), "--enhanced_dir", str(tmp_path),
                           "--json", os.path.join(run, "results.json")])
        with pytest.raises(SystemExit, match=f"^error: run directory {run} is in use by PID {os.getpid()} "):
            common_main.main("isegan", ["--save_path", run, "--test_wav_dir", str(tmp_path),
                                        "--save_clean_path", os.path.join(run, "enhanced", "x")])
    assert not os.path.exists(os.path.join(run, "results.json"))
    assert layout.enclosing_run(os.path.join(run, "enhanced", "x", "y.wav")) == os.path.abspath(run)
    assert layout.enclosing_run(str(tmp_path)) is None


def test_a_full_disk_is_one_line_with_the_space_left(tmp_path):
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "run" / "losses.csv"))
    line = errors.os_fault(full)
    assert line.startswith(f"{tmp_path / 'run' / 'losses.csv'}: No space left on device (") and "MB free in" in line
    assert errors.os_fault(OSError(errno.EACCES, "Permission denied", "/x")) == "/x: Permission denied"
    assert errors.os_fault(OSError(errno.ECONNRESET, "reset")) is None  # not the machine's fault: a traceback

    @errors.exit_on_error
    def fails(e):
        raise e
    with pytest.raises(SystemExit, match="^error: /x: Read-only file system$"):
        fails(OSError(errno.EROFS, "Read-only file system", "/x"))
    with pytest.raises(ConnectionResetError):
        fails(ConnectionResetError(errno.ECONNRESET, "reset"))


@pytest.mark.slow
def test_a_checkpoint_that_the_disk_cannot_hold_is_named_and_its_half_removed(tiny_records, tmp_path, one_replica,
                                                                             monkeypatch):
    import tensorflow as tf

    from common.training.training_run import TrainingRun

    tr = TrainingRun(tiny_args("isegan", tmp_path / "run", tiny_records, "--max_steps", "4"), one_replica)
    tr.train()
    half = tmp_path / "run" / layout.CHECKPOINT_DIR / "ckpt-6_temp"

    def full_disk(**_):
        half.mkdir()
        raise tf.errors.ResourceExhaustedError(None, None, f"{half}/part-0; No space left on device [Op:SaveV2]")
    monkeypatch.setattr(tr.manager, "save", full_disk)
    tr.trainer.iteration.assign(6)
    with pytest.raises(RunDirError, match=r"checkpoint of iteration 6 not saved \(No space left on device "
                                          r"\[Op:SaveV2\]; [\d.]+ MB free there\); the same command resumes from "
                                          r"ckpt-4$"):
        tr.save()
    assert not half.exists() and checkpoint_files.checkpoint_steps(str(tmp_path / "run")) == [2, 4]
