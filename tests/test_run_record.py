"""A run's flags.json is read through one check (common/rundir/run_record.py) and a checkpoint is read only into the
model it holds (common/models/checkpoint_match.py): a hand-edited file stops with one line naming the key, a checkpoint
of another model with one line naming the checkpoint and some of the differing variables, never partly loaded."""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from common.config import cli
from common.config.named_configs import main_argv
from common.config.recipes import RECIPES
from common.config.train_config import FieldError, OLDER_RUNS, TrainConfig
from common.main import main
from common.models.build import build_models
from common.models.checkpoint_match import CheckpointMismatch, restore_exactly
from common.rundir import checkpoint_files, flags_file, layout, run_record, trained_chain
from common.system.errors import RunDirError
from common.training.trainer import Trainer
from common.training.training_run import TrainingRun
from tests.conftest import TINY_MODEL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory, one_replica):
    """tiny_run's model without self-attention: a run directory with flags.json and checkpoint 0."""
    run = tmp_path_factory.mktemp("runs") / "ISEGAN-2"
    args = cli.parse("isegan", [*TINY_MODEL, "--iterations", "2", "--save_path", str(run), "--seed", "0"])
    flags_file.save_flags(args, str(run))
    TrainingRun(args, one_replica).save()
    return run


def copy_of(run, tmp_path):
    return shutil.copytree(run, tmp_path / "run")


def edit(run, change):
    """flags.json of `run` after change(saved), as a user's editor leaves it."""
    path = run / layout.FLAGS_FILE
    saved = json.loads(path.read_text())
    change(saved)
    path.write_text(json.dumps(saved, indent=1))


def written(folder):
    """The files under `folder` (test mode creates it when it checks that it can write there)."""
    return [p for p in folder.rglob("*") if p.is_file()]


def set_value(section, key, value):
    return lambda saved: (saved[section] if section else saved).update({key: value})


def without(section, key):
    return lambda saved: saved[section].pop(key)


@pytest.mark.parametrize("change,message", [
    (set_value("model", "canvas_size", "16384"), 'model.canvas_size: expected an integer, got "16384"'),
    (set_value("model", "g_enc_depths", "abc"), 'model.g_enc_depths: expected a list of integers, got "abc"'),
    (set_value("model", "self_attention", 1), "model.self_attention: expected true or false, got 1"),
    (set_value("model", "att_generators", [1.5]), "model.att_generators: expected a list of integers or null, "
                                                   "got [1.5]"),
    (set_value("model", "canvas_sise", 512), "unknown key model.canvas_sise"),
    (without("model", "d_attention"), "missing key model.d_attention"),  # never silently the default
    (set_value("model", "canvas_size", 500), "ModelConfig: canvas_size 500 is not divisible by 2^5 "
                                             "(len(g_enc_depths) stride-2 layers)"),
    (set_value("", "variant", "dsegan"), 'variant: "dsegan" is not model.variant "isegan"'),
    (set_value("", "notes", "mine"), "unknown key notes"),
    (set_value("training", "preemph", 1.5), "training.preemph: must be in [0, 1), got 1.5"),
    (set_value("training", "preemph", -3), "training.preemph: must be in [0, 1), got -3"),
    (set_value("training", "batch_size", True), "training.batch_size: expected an integer or null, got true"),
    (set_value("training", "mixed_precision", "float8"), "training.mixed_precision: must be one of float32, "
                                                         "bfloat16, float16, got 'float8'"),
    (set_value("training", "replicas", 0), "training.replicas: must be positive, got 0"),
    (without("training", "batch_size"), "missing key training.batch_size"),
    (set_value("flags", "g_learning_rate", 0), "flags.g_learning_rate: must be positive, got 0"),
    (set_value("flags", "seed", "1"), 'flags.seed: expected an integer or null, got "1"'),
    (set_value("", "dataset", {"path": "/d/x.tfrecords", "windows": "9", "corpus": "demo"}),
     'dataset.windows: expected an integer, got "9"'),
    (set_value("", "changes", {}), "changes: expected a list, got {}"),
    (set_value("", "changes", [{"iteration": 2, "changes": [3]}]), "changes[0].changes: expected a list of strings, "
                                                                    "got [3]"),
])
def test_a_hand_edited_flags_json_is_one_error_naming_the_key(tiny_run, tmp_path, change, message):
    run = copy_of(tiny_run, tmp_path)
    edit(run, change)
    with pytest.raises(RunDirError) as e:
        flags_file.load_flags(str(run))
    assert str(e.value) == f"{run / layout.FLAGS_FILE}: {message}"


def test_what_older_runs_lack_and_flags_of_other_variants_or_times_still_load(tiny_run, tmp_path):
    run = copy_of(tiny_run, tmp_path)

    def older(saved):
        for name in OLDER_RUNS:
            del saved["training"][name]
            del saved["flags"][name]
        saved["flags"].update(att_generators=None, depth=3, a_flag_since_removed="x")

    edit(run, older)
    saved = flags_file.load_flags(str(run))
    assert run_record.train_config(saved).recipe == TrainConfig().recipe  # what the run predates keeps its default


@pytest.mark.slow
@pytest.mark.parametrize("change,message", [
    (set_value("training", "preemph", 1.5), "training.preemph: must be in [0, 1), got 1.5"),
    (set_value("model", "canvas_size", "512"), 'model.canvas_size: expected an integer, got "512"'),
])
def test_the_command_line_says_one_line_and_writes_nothing(change, message, tiny_run, demo_dir, tmp_path):
    """isegan/main.py in test mode on a run whose flags.json was edited: `error: <file>: <key>: <problem>` alone on
    stderr, exit 1, no enhanced file (a preemph of 1.5 made NaN wavs, exit 0; a string canvas, a traceback)."""
    run = copy_of(tiny_run, tmp_path)
    edit(run, change)
    out = tmp_path / "enhanced"
    done = subprocess.run([sys.executable, os.path.join(ROOT, "isegan", "main.py"), "--save_path", str(run),
                           "--test_wav_dir", str(demo_dir / "noisy_testset_wav_16k"), "--save_clean_path", str(out)],
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stderr.strip()) == (1, f"error: {run / layout.FLAGS_FILE}: {message}")
    assert written(out) == []


def test_the_untouched_run_loads_every_variable_of_its_checkpoint(tiny_run):
    trained = trained_chain.load_chain(str(tiny_run), "0")
    assert trained.path == checkpoint_files.checkpoint_prefix(str(tiny_run), 0)
    reference = build_models(trained.cfg)[0]  # initialised afresh, then read by TensorFlow alone
    assert any(not np.array_equal(a.numpy(), b.numpy()) for a, b in zip(reference.variables, trained.chain.variables))
    tf.train.Checkpoint(chain=reference).read(trained.path).expect_partial().assert_existing_objects_matched()
    for a, b in zip(reference.variables, trained.chain.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("name,extra", [("SEGAN", []), ("SASEGAN", []), ("ISEGAN-2", []),
                                        ("DSEGAN-SA-3", ["--att_generators", "0,2"])])
def test_every_variant_loads_its_own_checkpoint_across_replica_counts(name, extra, tmp_path, one_replica,
                                                                      two_replicas):
    """The exact comparison refuses nothing it should load: ISEGAN's shared generator, DSEGAN's own ones with
    attention in some, SASEGAN's attention in D; saved by two replicas, tested, and resumed by one or two."""
    variant, flags = main_argv(name)
    args = cli.parse(variant, [*TINY_MODEL, *flags, *extra, "--save_path", str(tmp_path), "--seed", "0"])
    flags_file.save_flags(args, str(tmp_path))
    TrainingRun(args, two_replicas).save()
    assert trained_chain.load_chain(str(tmp_path)).path.endswith("ckpt-0")
    for strategy in (one_replica, two_replicas):
        assert TrainingRun(args, strategy).restore() == 0


def flip_attention(on):
    def change(saved):
        saved["model"]["self_attention"] = saved["flags"]["self_attention"] = on
    return change


@pytest.mark.parametrize("attention", [True, False])
def test_a_checkpoint_of_the_model_with_attention_flipped_is_refused(attention, tiny_run, plain_run, tmp_path):
    """flags.json edited to the other self_attention: test mode, enhance_checkpoints, enhance.py (load_chain) refuse
    the checkpoint, naming it and some of the variables one side lacks (attention: spectral norm's u everywhere)."""
    run = copy_of(tiny_run if attention else plain_run, tmp_path)
    edit(run, flip_attention(not attention))
    ckpt = checkpoint_files.checkpoint_prefix(str(run), 0)
    side = "it holds 28 variable(s) the model lacks" if attention else "it lacks 28 of the model's variable(s)"
    with pytest.raises(RunDirError) as e:
        trained_chain.load_chain(str(run), "0")
    assert str(e.value).startswith(f"{ckpt} does not hold the generator weights of the model in "
                                   f"{run / layout.FLAGS_FILE}: {side} (chain/generator/dec_0/sn/u, ")
    assert "\n" not in str(e.value)
    with pytest.raises(SystemExit, match=f"^error: {re.escape(ckpt)} does not hold"):
        main("isegan", ["--save_path", str(run), "--test_wav_dir", str(tmp_path), "--save_clean_path",
                        str(tmp_path / "out")])
    assert written(tmp_path / "out") == []


def test_a_refused_checkpoint_leaves_the_model_as_it_was(tiny_run):
    """The comparison comes before any reading: nothing of a mismatching checkpoint is loaded."""
    chain = build_models(cli.parse("isegan", [*TINY_MODEL, "--iterations", "2"]).model)[0]
    before = [v.numpy() for v in chain.variables]
    with pytest.raises(CheckpointMismatch):  # tiny_run has attention, this chain has not
        restore_exactly(checkpoint_files.checkpoint_prefix(str(tiny_run), 0), {"chain": chain})
    for v, old in zip(chain.variables, before):
        np.testing.assert_array_equal(v.numpy(), old)


@pytest.mark.parametrize("attention", [True, False])
def test_resume_refuses_a_checkpoint_of_another_model(attention, tiny_run, plain_run, tmp_path, one_replica):
    """Resuming (TrainingRun.restore) with the whole training state: the other model's checkpoint is a RunDirError
    naming it and the variables, whichever side has more."""
    run = copy_of(tiny_run if attention else plain_run, tmp_path)
    flags = [*TINY_MODEL, "--iterations", "2", "--save_path", str(run)] + ([] if attention else ["--self_attention"])
    ckpt = checkpoint_files.checkpoint_prefix(str(run), 0)
    with pytest.raises(RunDirError, match=f"^{re.escape(ckpt)} does not match this model's flags: "
                                          f"{'it holds' if attention else 'it lacks'} [0-9]+ "):
        TrainingRun(cli.parse("isegan", flags), one_replica).restore()
    same = [*TINY_MODEL, "--iterations", "2", "--save_path", str(run)] + (["--self_attention"] if attention else [])
    assert TrainingRun(cli.parse("isegan", same), one_replica).restore() == 0


def test_a_float16_trainer_resumes_a_float32_checkpoint_and_back(tiny_run, tmp_path):
    """The loss scales are the one part of the state a checkpoint may have or lack."""
    f16 = cli.parse("isegan", [*TINY_MODEL, "--iterations", "2", "--self_attention", "--mixed_precision", "float16"])
    trainer = Trainer(f16.model, f16.training, tf.distribute.get_strategy())
    trainer.restore(checkpoint_files.checkpoint_prefix(str(tiny_run), 0))  # no loss scales in it: they start afresh
    path = trainer.checkpoint.write(str(tmp_path / "f16"))
    f32 = cli.parse("isegan", [*TINY_MODEL, "--iterations", "2", "--self_attention"])
    Trainer(f32.model, f32.training, tf.distribute.get_strategy()).restore(path)


@pytest.mark.parametrize("flag,value", [
    ("preemph", "1"), ("preemph", "-0.1"), ("preemph", "nan"), ("init_l1_weight", "-1"), ("adv_weight", "nan"),
    ("init_noise_std", "-0.1"), ("denoise_lbound", "-1"), ("g_learning_rate", "0"), ("d_learning_rate", "-2e-4"),
    ("noise_decay", "1.5"), ("shuffle_buffer", "-1"), ("denoise_epoch", "-1"), ("l1_remove_epoch", "-1"),
])
def test_training_values_out_of_range_are_refused_on_the_command_line(flag, value, capsys):
    with pytest.raises(SystemExit):
        cli.parse("isegan", [f"--{flag}={value}"])
    assert re.search(f"^isegan/main.py: error: --{flag}: must be .*, got ", capsys.readouterr().err, re.M)


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_the_paper_defaults_and_every_recipe_are_in_range(recipe):
    assert cli.parse("dsegan", ["--recipe", recipe]).training.recipe == recipe


def test_field_errors_name_the_field():
    with pytest.raises(FieldError) as e:
        TrainConfig(noise_decay=2.0)
    assert (e.value.field, e.value.problem, str(e.value)) == ("noise_decay", "must be in [0, 1], got 2.0",
                                                              "--noise_decay: must be in [0, 1], got 2.0")
