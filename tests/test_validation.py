"""Validation during training (--valid_wav_dir): scores to TensorBoard, the best checkpoint kept."""
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from common.config import cli
from common.rundir.checkpoint_files import checkpoint_steps, resolve
from common.rundir.trained_chain import load_chain
from common.training.training_run import TrainingRun
from tests.conftest import TINY_MODEL


@pytest.fixture(scope="module")
def valid_dir(demo_dir, tmp_path_factory):
    """The demo test pairs in the --valid_wav_dir layout (clean/, noisy/)."""
    out = tmp_path_factory.mktemp("valid")
    for kind in ("clean", "noisy"):
        os.symlink(demo_dir / f"{kind}_testset_wav_16k", out / kind)
    return out


def scalars(log_dir, tag):
    """{step: value} of a TensorBoard scalar."""
    out = {}
    for path in tf.io.gfile.glob(os.path.join(log_dir, "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for v in event.summary.value:
                if v.tag == tag:
                    out[event.step] = float(tf.make_ndarray(v.tensor))
    return out


@pytest.mark.slow
def test_best_checkpoint_is_scored_logged_and_survives_max_to_keep(tiny_records, valid_dir, tmp_path, one_replica):
    run = tmp_path / "run"
    args = cli.parse("isegan", [*TINY_MODEL, "--iterations", "2", "--self_attention",
                                   "--e2e_dataset", str(tiny_records), "--save_path", str(run), "--batch_size", "2",
                                   "--max_steps", "5", "--save_freq", "1", "--keep_checkpoints", "1",
                                   "--valid_wav_dir", str(valid_dir), "--valid_every", "2"])
    TrainingRun(args, one_replica).train()
    record = json.loads((run / "best_checkpoint.json").read_text())
    history = {h["step"]: h for h in record["history"]}
    assert sorted(history) == [2, 4, 5]  # every 2nd checkpoint, and the last
    assert all(h["files"] == 4 and 1.0 <= h["pesq"] <= 4.7 and 0.0 <= h["stoi"] <= 1.0 for h in history.values())
    best = max(history.values(), key=lambda h: h["pesq"])
    assert (record["step"], record["pesq"]) == (best["step"], best["pesq"])
    assert checkpoint_steps(str(run)) == [5]  # max_to_keep deleted the others from checkpoints/ ...
    assert sorted(p.name for p in (run / "best").iterdir()) == [f"ckpt-{best['step']}.data-00000-of-00001",
                                                               f"ckpt-{best['step']}.index"]  # ... not the best
    logged = scalars(str(run / "logs"), "valid/pesq")
    assert logged == pytest.approx({s: h["pesq"] for s, h in history.items()}, abs=1e-5)  # TensorBoard keeps float32
    assert resolve(str(run), "best") == str(run / "best" / f"ckpt-{best['step']}")
    chain = load_chain(str(run), "best").chain
    assert all(np.all(np.isfinite(v.numpy())) for v in chain.trainable_variables)


def test_validation_dir_without_pairs_layout_is_refused(tmp_path, capsys):
    (tmp_path / "noisy").mkdir()
    with pytest.raises(SystemExit):
        cli.parse("isegan", ["--valid_wav_dir", str(tmp_path)])
    assert "needs subdirectories clean/ and noisy/" in capsys.readouterr().err


def test_validation_off_by_default():
    assert cli.parse("isegan", []).training.valid_wav_dir is None


@pytest.mark.slow
def test_audio_summaries_and_validation_leave_training_unchanged(tiny_records, valid_dir, tmp_path, one_replica):
    """A checkpoint every iteration, with its TensorBoard audio and validation, trains exactly the weights and
    spectral-norm states of a run that looks at nothing in between: those extra passes through the chain run
    no power iteration that sticks (each would move every u one step further than the reference's)."""
    def final_state(name, extra):
        args = cli.parse("isegan", [*TINY_MODEL, "--iterations", "2", "--self_attention", "--seed", "0",
                                    "--e2e_dataset", str(tiny_records), "--save_path", str(tmp_path / name),
                                    "--batch_size", "2", "--max_steps", "4", *extra])
        TrainingRun(args, one_replica).train()
        reader = tf.train.load_checkpoint(resolve(str(tmp_path / name), "4"))
        return {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()
                if not k.startswith("save_counter")}  # how many checkpoints were saved: 1 and 4

    quiet = final_state("quiet", ["--save_freq", "4"])
    looked = final_state("looked", ["--save_freq", "1", "--valid_wav_dir", str(valid_dir)])
    assert quiet.keys() == looked.keys() and any("/sn/u/" in k for k in quiet)
    assert [k for k in quiet if not np.array_equal(quiet[k], looked[k])] == []
