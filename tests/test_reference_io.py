"""scripts/dev/reference_io.py: forward outputs against the float64 restatement of the reference graph, and
one training iteration reported under the upstream variable names."""
import numpy as np
import pytest
import tensorflow as tf

from common.config import cli
from common.models import tf1_import
from common.rundir import flags_file
from common.training.training_run import TrainingRun
from scripts.dev import reference_io
from tests import tf1_reference
from tests.conftest import TINY_MODEL

B = 3


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A saved tiny ISEGAN-SA-2 + D attention run with non-trivial σ, α and β."""
    run_dir = tmp_path_factory.mktemp("run")
    args = cli.parse("isegan", [*TINY_MODEL, "--iterations", "2", "--self_attention", "--d_attention",
                                   "--save_path", str(run_dir)])
    run = TrainingRun(args, tf.distribute.get_strategy())
    tr = run.trainer
    rng = np.random.default_rng(0)
    for v in tr.chain.variables + tr.disc.variables:
        if v.path.endswith(("sigma_ratio", "alpha", "beta")):
            v.assign(rng.uniform(0.1, 0.4, v.shape).astype(np.float32))
    flags_file.save_flags(args, str(run_dir))
    run.save()
    return run_dir, tr.cfg


def inputs(cfg, rng, tag=""):
    clean = rng.uniform(-0.5, 0.5, (B, cfg.canvas_size)).astype(np.float32)
    return {f"clean{tag}": clean, f"noisy{tag}": clean + rng.normal(0, 0.1, clean.shape).astype(np.float32),
            **{f"z{tag}_{n}": rng.normal(size=cfg.z_shape(B)).astype(np.float32) for n in range(cfg.stages)}}


def call(run_dir, tmp_path, data, *flags):
    np.savez(tmp_path / "in.npz", **data)
    assert reference_io.main(["--run", str(run_dir), "--npz", str(tmp_path / "in.npz"),
                              "--out", str(tmp_path / "out.npz"), *flags]) == 0
    with np.load(tmp_path / "out.npz") as f:
        return dict(f)


def test_forward_matches_the_reference_graph(run, tmp_path):
    run_dir, cfg = run
    data = inputs(cfg, np.random.default_rng(1))
    tr = reference_io.load_trainer(str(run_dir))
    g, d = tf1_reference.Weights(tr.chain.generators[0]), tf1_reference.Weights(tr.disc)
    out = call(run_dir, tmp_path, data)
    assert set(out) == {"stage_0", "stage_1", "d_real", "d_fake_0", "d_fake_1"}
    h, noisy, clean = data["noisy"][..., None], data["noisy"][..., None], data["clean"][..., None]
    stages = []
    for n in range(cfg.stages):
        h = tf1_reference.generator(h.astype(np.float64), data[f"z_{n}"], g, cfg)[0]
        stages.append(h)
        np.testing.assert_allclose(out[f"stage_{n}"], h[..., 0], atol=1e-4)
    _, ref = tf1_reference.discriminator(clean, noisy, d, cfg)          # VBN reference = the real pair
    np.testing.assert_allclose(out["d_real"], tf1_reference.discriminator(clean, noisy, d, cfg, ref)[0],
                               rtol=1e-4, atol=1e-4)
    for n, s in enumerate(stages):
        np.testing.assert_allclose(out[f"d_fake_{n}"], tf1_reference.discriminator(s, noisy, d, cfg, ref)[0],
                                   rtol=1e-4, atol=1e-4)


def test_train_step_reports_the_updated_weights_under_upstream_names(run, tmp_path):
    run_dir, cfg = run
    rng = np.random.default_rng(2)
    data = {**inputs(cfg, rng, "_a"), **inputs(cfg, rng, "_b")}
    before = tf1_import.export_values(reference_io.load_trainer(str(run_dir)))
    out = call(run_dir, tmp_path, data, "--train_step")
    assert set(out) == set(before) | {"d_loss", "g_loss"}
    assert out["g_ae/enc_1/W"].shape == before["g_ae/enc_1/W"].shape == (31, 1, 8, 8)
    moved = [n for n in before if n.endswith(("/W", "/w", "/weights")) and not np.array_equal(out[n], before[n])]
    assert {"g_ae/enc_0/W", "g_ae/dec_4/W", "d_model/d_block_0/downconv/W", "d_model/fully_connected/weights"} \
        <= set(moved)
    # the D update used batch A: its loss is L_D of a forward pass on batch A with the imported weights
    fwd = call(run_dir, tmp_path, {k[:-2] if k.endswith("_a") else k.replace("_a_", "_"): v
                                   for k, v in data.items() if "_a" in k})
    d_loss = np.mean((fwd["d_real"] - 1) ** 2) + np.mean([np.mean(fwd[f"d_fake_{n}"] ** 2) for n in range(2)])
    np.testing.assert_allclose(out["d_loss"], d_loss, rtol=1e-5)


@pytest.mark.slow
def test_xla_and_low_precision_train_steps_match_the_plain_one(run, tmp_path):
    """--xla compiles the step's forward and backward passes: the same iteration within float32 rounding
    (every variable; D's conv biases included, whose gradient is rounding noise: VBN cancels them).
    --mixed_precision bfloat16 or float16 computes it in that precision: losses and kernels within its
    rounding, not identical."""
    run_dir, cfg = run
    rng = np.random.default_rng(4)
    data = {**inputs(cfg, rng, "_a"), **inputs(cfg, rng, "_b")}
    plain = call(run_dir, tmp_path, data, "--train_step")
    assert reference_io.load_trainer(str(run_dir), xla=True).training.xla
    xla = call(run_dir, tmp_path, data, "--train_step", "--xla")
    low = {p: call(run_dir, tmp_path, data, "--train_step", "--mixed_precision", p) for p in ("bfloat16", "float16")}
    assert set(xla) == set(low["bfloat16"]) == set(low["float16"]) == set(plain)
    for name, value in plain.items():
        scale = max(float(np.max(np.abs(value))), 1e-3)  # D's conv biases: ~1e-11, rounding noise
        assert np.max(np.abs(xla[name] - value)) <= 1e-5 * scale, name
        if name.endswith(("_loss", "/W", "/w", "/weights")):
            for p, out in low.items():
                assert np.max(np.abs(out[name] - value)) <= 3e-2 * scale, (p, name)
    assert not any(np.array_equal(out["g_ae/enc_0/W"], plain["g_ae/enc_0/W"]) for out in low.values())


def test_missing_input_array_is_named(run, tmp_path):
    run_dir, cfg = run
    data = inputs(cfg, np.random.default_rng(3))
    del data["z_1"]
    with pytest.raises(SystemExit, match="no array 'z_1'"):
        call(run_dir, tmp_path, data)
