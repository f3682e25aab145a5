"""A training run in its run directory: resume, flags.json and its checks, the NaN guard, the chief."""
import pytest
import tensorflow as tf

from common.config.train_config import OLDER_RUNS
from common.nn import losses
from common.rundir import flags_file
from common.system.errors import FlagsMismatch, TrainingDiverged
from common.training.training_run import TrainingRun
from tests.conftest import tiny_args


@pytest.mark.slow
def test_resume_continues_counter_and_history(tiny_records, tmp_path):
    assert TrainingRun(tiny_args("dsegan", tmp_path, tiny_records, "--max_steps", "3")).train() == 3
    tr = TrainingRun(tiny_args("dsegan", tmp_path, tiny_records, "--max_steps", "5", "--allow_changes"))
    assert tr.restore() == 3
    assert tr.train() == 5
    assert int(tr.trainer.iteration.numpy()) == 5
    assert tr.manager.checkpoints[-1].endswith("ckpt-5")
    assert [c.rsplit("-", 1)[1] for c in tr.manager.checkpoints] == ["2", "3", "4", "5"]
    rows = (tmp_path / "losses.csv").read_text().splitlines()
    assert [int(r.split(",")[0]) for r in rows[1:]] == [1, 2, 3, 4, 5]
    changes = flags_file.load_flags(str(tmp_path))["changes"]
    assert changes == [{"iteration": 3, "changes": ["max_steps: 3 (saved) vs 5 (now)"]}]


def test_recipe_is_recorded_and_a_resume_without_it_names_it(tiny_records, tmp_path):
    TrainingRun(tiny_args("segan", tmp_path, tiny_records, "--recipe", "quick", "--max_steps", "2")).train()
    training = flags_file.load_flags(str(tmp_path))["training"]
    assert (training["recipe"], training["preemph"], training["adv_weight"]) == ("quick", 0.8, 0.0)
    with pytest.raises(FlagsMismatch, match="recipe: quick \\(saved\\) vs paper"):
        TrainingRun(tiny_args("segan", tmp_path, tiny_records, "--max_steps", "4")).train()


@pytest.mark.slow
def test_runs_recorded_before_a_training_flag_existed_resume_unchanged(tiny_records, tmp_path):
    TrainingRun(tiny_args("segan", tmp_path, tiny_records, "--max_steps", "2")).train()
    saved = flags_file.load_flags(str(tmp_path))
    for name in OLDER_RUNS:
        del saved["training"][name]
    flags_file.write_flags(str(tmp_path), saved)
    assert TrainingRun(tiny_args("segan", tmp_path, tiny_records, "--max_steps", "2")).train() == 2
    with pytest.raises(FlagsMismatch, match="lr_decay: 0.0 \\(saved\\) vs 0.5"):
        TrainingRun(tiny_args("segan", tmp_path, tiny_records, "--max_steps", "2", "--lr_decay", "0.5")).train()


@pytest.mark.slow
def test_resume_refuses_other_model_flags(tiny_records, tmp_path):
    TrainingRun(tiny_args("isegan", tmp_path, tiny_records, "--max_steps", "2")).train()
    with pytest.raises(FlagsMismatch, match="self_attention: False \\(saved\\) vs True"):
        TrainingRun(tiny_args("isegan", tmp_path, tiny_records, "--max_steps", "4", "--self_attention")).train()


@pytest.mark.slow
def test_nan_loss_stops_and_keeps_last_good_checkpoint(tiny_records, tmp_path, monkeypatch):
    TrainingRun(tiny_args("segan", tmp_path, tiny_records, "--max_steps", "2")).train()
    real = losses.g_loss

    def nan_loss(*args):  # G's loss NaN from the resumed iteration on (the flags refuse a NaN --adv_weight)
        loss, terms = real(*args)
        return loss * float("nan"), terms

    monkeypatch.setattr(losses, "g_loss", nan_loss)
    diverging = TrainingRun(tiny_args("segan", tmp_path, tiny_records, "--max_steps", "6", "--allow_changes"))
    with pytest.raises(TrainingDiverged, match="non-finite loss at iteration 3"):
        diverging.train()
    assert diverging.manager.latest_checkpoint.endswith("ckpt-2")
    fresh = TrainingRun(tiny_args("segan", tmp_path, tiny_records))
    assert fresh.restore() == 2 and fresh.trainer.weights_finite()


def test_only_the_chief_of_a_multi_worker_cluster_writes_the_run():
    from types import SimpleNamespace

    from common.training.training_run import is_chief

    def strategy(task_type, task_id, jobs):
        spec = SimpleNamespace(as_dict=lambda: jobs)
        return SimpleNamespace(cluster_resolver=SimpleNamespace(task_type=task_type, task_id=task_id,
                                                                cluster_spec=lambda: spec))

    workers = {"worker": ["a:1", "b:1"]}
    assert is_chief(strategy("worker", 0, workers)) and not is_chief(strategy("worker", 1, workers))
    with_chief = {"chief": ["c:1"], **workers}
    assert is_chief(strategy("chief", 0, with_chief)) and not is_chief(strategy("worker", 0, with_chief))
    assert is_chief(tf.distribute.get_strategy()) and is_chief(strategy(None, None, {}))


def test_listed_gpus_that_tensorflow_does_not_see_are_named(tiny_records, tmp_path, monkeypatch, capsys):
    tr = TrainingRun(tiny_args("segan", tmp_path, tiny_records))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    tr.announce(0, 4, 2, 10)
    err = capsys.readouterr().err
    assert "names 2 GPUs but TensorFlow uses none of them (training on the CPU): each batch is 4 windows, not 8" in err
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    tr.announce(0, 4, 2, 10)
    assert "GPUs" not in capsys.readouterr().err
