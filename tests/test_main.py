"""main.py as a user runs it: flags, training, test mode."""
import numpy as np
import pytest
import soundfile as sf

from common.audio import audio
from common.config import cli
from common.enhancement.enhance import Enhancer
from common.main import main
from common.rundir import flags_file, run_record
from tests.conftest import TINY_MODEL, HalfChain


@pytest.mark.parametrize("argv,words", [
    (["--no_such_flag"], "unrecognized arguments"),
    (["--depth", "2"], "unrecognized arguments"),  # a DSEGAN flag given to ISEGAN
    (["--save_clean_path", "x"], "give --test_wav_dir too"),
    (["--test_wav_dir", "x"], "needs --save_clean_path"),
    (["--att_layer_ind", "12", "--self_attention"], "att_layer_ind 12"),
    (["--batch_size", "0"], "--batch_size: must be positive, got 0"),
    (["--preemph", "1"], "--preemph: must be in [0, 1), got 1.0"),
    (["--bias_deconv", "maybe"], "expected a boolean"),
    (["--test_overlap", "1"], "--test_overlap/--overlap: must be in [0, 1), got 1"),
    (["--batch", "0"], "--test_batch/--batch: must be positive, got 0"),
])
def test_bad_flags_are_refused_with_a_message(argv, words, capsys):
    with pytest.raises(SystemExit):
        cli.parse("isegan", argv)
    assert words in capsys.readouterr().err


def test_reference_flag_spellings_and_defaults(capsys):
    a = cli.parse("isegan", ["--iteration", "3", "--bias_D_conv", "False", "--nobias_deconv"])
    assert (a.model.stages, a.model.bias_D_conv, a.model.bias_deconv, a.model.bias_downconv) == (3, False, False, True)
    assert a.given == {"stages", "bias_D_conv", "bias_deconv"} and not a.testing
    a = cli.parse("isegan", ["--step", "best", "--overlap", "0.5", "--batch", "8"])  # the tools' aliases
    assert (a.test.weights, a.test.test_overlap, a.test.test_batch) == ("best", 0.5, 8)
    d = cli.parse("dsegan", ["--self_attention", "--att_generators", "1"])
    cfg = d.model
    assert cfg.stages == 2 and cfg.att_generators == (1,)
    s = cli.parse("segan", [])
    t = s.training
    assert (t.batch_size, t.epoch, t.save_freq, t.init_l1_weight, t.init_noise_std, s.model.g_nl, t.preemph,
            t.g_learning_rate, t.d_learning_rate, t.keep_checkpoints) == (None, 100, 50, 100.0, 0.0, "prelu", 0.95,
                                                                         2e-4, 2e-4, 5)
    assert (a.training.batch_size, d.training.batch_size) == (None, None)  # the batch rule, applied by training (test_named_configs)
    with pytest.raises(SystemExit):
        cli.parse("dsegan", ["--att_generators", "1"])  # without --self_attention
    assert "att_generators given but self_attention is off" in capsys.readouterr().err


def test_recipe_sets_defaults_that_explicit_flags_override(capsys):
    from common.config.recipes import RECIPES

    quick = cli.parse("dsegan", ["--recipe", "quick"])
    assert RECIPES["quick"] and all(getattr(quick.model if hasattr(quick.model, k) else quick.training, k) == v
                                    for k, v in RECIPES["quick"].items())
    assert cli.parse("dsegan", ["--recipe", "quick", "--batch_size", "3", "--preemph", "0.95"]).training.batch_size == 3
    paper = cli.parse("dsegan", [])
    assert paper.training.recipe == "paper" and paper.model == cli.parse("dsegan", ["--recipe", "paper"]).model
    p = paper.training
    assert (p.batch_size, p.preemph, p.adv_weight, p.max_steps) == (None, 0.95, 1.0, None)
    with pytest.raises(SystemExit):
        cli.parse("dsegan", ["--recipe", "fast"])
    assert "invalid choice: 'fast'" in capsys.readouterr().err


@pytest.mark.slow
def test_train_then_test_mode_writes_every_file_at_its_length(tiny_records, demo_dir, tmp_path):
    run = tmp_path / "run"
    model = [*TINY_MODEL, "--iterations", "2", "--self_attention"]
    assert main("isegan", [*model, "--e2e_dataset", str(tiny_records), "--save_path", str(run),
                           "--batch_size", "4", "--max_steps", "4", "--save_freq", "2"]) == 0
    assert sorted(p.name for p in (run / "checkpoints").glob("*.index")) == ["ckpt-2.index", "ckpt-4.index"]
    noisy_dir = demo_dir / "noisy_testset_wav_16k"
    out = tmp_path / "enhanced"
    assert main("isegan", ["--save_path", str(run), "--weights", "2",  # the model comes from flags.json
                           "--test_wav_dir", str(noisy_dir), "--save_clean_path", str(out)]) == 0
    names = sorted(p.name for p in noisy_dir.iterdir())
    assert sorted(p.name for p in out.iterdir()) == names
    for name in names:
        info, ref = sf.info(str(out / name)), sf.info(str(noisy_dir / name))
        assert (info.frames, info.samplerate, info.subtype) == (ref.frames, 16000, "FLOAT")
        assert np.all(np.isfinite(sf.read(str(out / name))[0]))
    with pytest.raises(SystemExit, match="iterations \\[2, 4\\]"):
        main("isegan", ["--save_path", str(run), "--weights", "3",
                        "--test_wav_dir", str(noisy_dir), "--save_clean_path", str(out)])
    with pytest.raises(SystemExit, match="stages: 2 \\(saved\\) vs 3"):
        main("isegan", [*TINY_MODEL, "--iterations", "3", "--self_attention", "--save_path", str(run),
                        "--test_wav_dir", str(noisy_dir), "--save_clean_path", str(out)])


@pytest.mark.parametrize("overlap", [0.0, 0.5])
@pytest.mark.parametrize("length", [1, 511, 512, 513, 2000])
def test_enhancer_windows_trim_and_de_emphasis(overlap, length):
    x = np.random.default_rng(length).integers(-20000, 20000, length).astype(np.int16)
    enh = Enhancer(HalfChain(), canvas=512, preemph=0.95, batch=3, overlap=overlap)
    y = enh(x)
    assert y.shape == (length,) and y.dtype == np.float32
    np.testing.assert_allclose(y, 0.5 * audio.normalize(x), atol=1e-5)  # pre/de-emphasis cancel


def test_flag_differences_name_real_differences_only(tmp_path):
    args = cli.parse("isegan", [*TINY_MODEL, "--batch_size", "50"])
    flags_file.save_flags(args, str(tmp_path), replicas=1, dataset={"path": "/d", "windows": 9, "corpus": "demo"})
    saved = flags_file.load_flags(str(tmp_path))
    assert flags_file.given_model_differences(saved, cli.parse("isegan", ["--att_layer_ind", "1"])) == []
    assert flags_file.given_model_differences(saved, cli.parse("isegan", ["--g_nl", "leaky", "--iterations", "3"])) \
        == ["stages: 2 (saved) vs 3 (now)", "g_nl: prelu (saved) vs leaky (now)"]
    assert flags_file.given_model_differences(saved, cli.parse("isegan", ["--preemph", "0"])) == \
        ["preemph: 0.95 (saved) vs 0.0 (now)"]
    other = flags_file.record(cli.parse("isegan", [*TINY_MODEL, "--batch_size", "7"]), 2,
                          {"path": "/d", "windows": 10, "corpus": "demo"})
    assert flags_file.differences(saved, other) == ["batch_size: 50 (saved) vs 7 (now)",
                                                    "replicas: 1 (saved) vs 2 (now)",
                                                    "dataset.windows: 9 (saved) vs 10 (now)"]


def test_every_model_flag_reaches_its_field():
    """The model flags are made from ModelConfig's fields: each one, given, lands in its field."""
    given = {"canvas_size": "8192", "g_enc_depths": "4,8,8,16,16,32,32,64,64,128,256",
             "d_num_fmaps": "4,8,8,16,16,32,32,64,64,128,128", "g_nl": "leaky", "att_layer_ind": "3,4"}
    argv = []
    for f in cli.MODEL_FLAGS:
        argv += [f"--{f.name}", str(not f.default)] if isinstance(f.default, bool) else [f"--{f.name}", given[f.name]]
    cfg = cli.parse("dsegan", [*argv, "--depth", "3", "--att_generators", "1"]).model
    for f in cli.MODEL_FLAGS:
        value = getattr(cfg, f.name)
        assert value != f.default and str(value).replace(" ", "").strip("()") in (str(not f.default), given.get(f.name))
    assert (cfg.variant, cfg.stages, cfg.att_generators) == ("dsegan", 3, (1,))


def test_every_training_flag_reaches_its_field_and_flags_json_records_the_run_shaping_ones(tmp_path):
    """The training flags are made from TrainConfig's fields: each one, given, lands in its field; the ones
    marked as shaping the run are what flags.json's "training" section holds, and a run read back from its
    flags.json has the same TrainConfig."""
    from common.config.flags import flag_fields
    from common.config.train_config import RUN_SHAPING, TrainConfig

    given = {"recipe": "quick", "e2e_dataset": "x.tfrecords", "save_path": str(tmp_path), "valid_wav_dir": None,
             "mixed_precision": "bfloat16", "kernels": "native", "cpu_op_threads": "one"}
    argv = []
    for f in flag_fields(TrainConfig):
        if isinstance(f.default, bool):
            argv += [f"--{f.name}", str(not f.default)]
        elif f.name in given:
            argv += [f"--{f.name}", given[f.name]] if given[f.name] else []
        else:
            number = 0.5 if f.name in ("lr_decay", "noise_decay", "preemph") else 7  # in range, unlike the defaults
            argv += [f"--{f.name}", str(number)]
    args = cli.parse("segan", argv)
    train = args.training
    for f in flag_fields(TrainConfig):
        if f.name != "valid_wav_dir":
            assert getattr(train, f.name) != f.default, f.name
    assert "batch_size" in RUN_SHAPING and "save_freq" not in RUN_SHAPING and "seed" in RUN_SHAPING
    flags_file.save_flags(args, str(tmp_path))
    saved = flags_file.load_flags(str(tmp_path))
    assert set(saved["training"]) == {*RUN_SHAPING, "replicas"}
    assert run_record.train_config(saved) == train
