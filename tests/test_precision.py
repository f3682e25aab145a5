"""--mixed_precision bfloat16 and float16: what computes in the low precision and what stays float32, the
loss curve against float32's, float16's loss scaling, and checkpoints that load across precisions."""
import numpy as np
import pytest
import tensorflow as tf

from common.config import cli
from common.config.named_configs import tiny
from common.models.build import build_models
from common.nn import loss_scale
from common.rundir import checkpoint_files, flags_file, layout, trained_chain
from common.system.errors import FlagsMismatch, TrainingDiverged
from common.training.trainer import Trainer
from common.training.training_run import TrainingRun
from tests.conftest import tiny_args

ISEGAN_SA_2 = ["--stages", "2", "--self_attention"]


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_the_convolutions_compute_in_low_precision_and_the_sensitive_parts_in_float32(precision):
    chain, disc = build_models(tiny("SASEGAN"), precision, "tuned")
    assert {v.dtype for m in (chain, disc) for v in m.variables} == {"float32"}  # variables, u, σ, γ, β
    g = chain.generators[0]
    assert g.enc[0].compute_dtype == precision and g.enc[0].sn.compute_dtype == "float32"
    assert disc.convs[0].compute_dtype == precision and disc.vbns[0].compute_dtype == "float32"
    noisy = tf.random.normal([2, 512, 1]) * 0.1
    stages, maps = g(noisy, return_attention=True)
    assert stages.dtype == precision and all(m.dtype == tf.float32 for m in maps.values())  # softmax
    ref = disc.reference(noisy, noisy)
    assert all(s.mean.dtype == tf.float32 for s in ref)  # VBN statistics
    assert disc(stages, noisy, ref).dtype == precision
    assert build_models(tiny("SEGAN"))[0].generators[0].enc[0].compute_dtype == "float32"  # the policy is restored


@pytest.mark.slow
@pytest.mark.parametrize("low", ["bfloat16", "float16"])
def test_low_precision_training_follows_the_float32_loss_curve(low, tiny_records, tmp_path, one_replica, monkeypatch):
    """Same seed, data and z: the runs differ only by rounding (relative 2^-8 per operation in bfloat16,
    2^-11 in float16), which grows through training. Over 200 iterations the 50-iteration means of D's and G's
    losses and of each stage's L1 stay within 5 % of float32's (measured: within 1 %); a term computed in the
    wrong precision, a loss scale left in the gradients or a loss that stops falling would not.
    float16's loss scales start at 8, below where this model's gradients overflow (D's settles at 16, G's at
    256 from 2^15), so that no step is skipped and both runs take the same steps; skipping is tested below."""
    monkeypatch.setattr(loss_scale, "INITIAL_SCALE", 8.0)
    curves = {}
    for precision in ("float32", low):
        run = tmp_path / precision
        training = TrainingRun(tiny_args("isegan", run, tiny_records, *ISEGAN_SA_2, "--max_steps", "200", "--seed", "3",
                                         "--save_freq", "200", "--mixed_precision", precision), one_replica)
        assert training.trainer.chain(tf.zeros([1, 512, 1]))[-1].dtype == tf.as_dtype(precision)
        training.train()
        assert all(v == 0 for k, v in training.trainer.loss_scale_state().items() if "skipped" in k)
        curves[precision] = np.genfromtxt(run / layout.LOSS_FILE, delimiter=",", names=True)
    for name in ("d_loss", "g_loss", "g_l1_0", "g_l1_1"):
        f32, ours = (curves[p][name].reshape(4, 50).mean(axis=1) for p in ("float32", low))
        np.testing.assert_allclose(ours, f32, rtol=0.05, err_msg=name)
        assert f32[-1] < 0.75 * f32[0], (name, f32)  # the loss falls: the comparison means something


@pytest.mark.slow
@pytest.mark.parametrize("low", ["bfloat16", "float16"])
def test_a_checkpoint_of_one_precision_resumes_and_tests_in_the_other(low, tiny_records, tmp_path, one_replica):
    TrainingRun(tiny_args("isegan", tmp_path, tiny_records, *ISEGAN_SA_2, "--max_steps", "2"), one_replica).train()
    with pytest.raises(FlagsMismatch, match=f"mixed_precision: float32 \\(saved\\) vs {low}"):
        TrainingRun(tiny_args("isegan", tmp_path, tiny_records, *ISEGAN_SA_2, "--max_steps", "4",
                              "--mixed_precision", low), one_replica).train()
    resumed = TrainingRun(tiny_args("isegan", tmp_path, tiny_records, *ISEGAN_SA_2, "--max_steps", "4",
                                    "--mixed_precision", low, "--allow_changes"), one_replica)
    assert resumed.restore() == 2 and resumed.train() == 4  # float16: without loss scales in the checkpoint
    saved = flags_file.load_flags(str(tmp_path))
    assert f"mixed_precision: float32 (saved) vs {low} (now)" in saved["changes"][-1]["changes"]
    back = TrainingRun(tiny_args("isegan", tmp_path, tiny_records, *ISEGAN_SA_2, "--max_steps", "6",
                                 "--allow_changes"), one_replica)
    assert back.restore() == 4 and back.train() == 6  # float16: loss scales in the checkpoint, unused
    trained = trained_chain.load_chain(str(tmp_path), "4")  # test mode computes in float32 from either
    noisy = tf.random.normal([2, 512, 1]) * 0.1
    zs = [tf.random.normal(trained.cfg.z_shape(2)) for _ in range(2)]
    ours = trained.chain(noisy, zs=zs)[-1]
    low_chain = resumed.trainer.chain  # holds the weights of checkpoint 4 after its train()
    resumed.trainer.checkpoint.read(checkpoint_files.checkpoint_prefix(str(tmp_path), 4)).expect_partial()
    np.testing.assert_allclose(tf.cast(low_chain(noisy, zs=zs)[-1], tf.float32), ours, atol=0.02)


@pytest.mark.slow
def test_float16_loss_scales_resume_with_the_run(tiny_records, tmp_path, one_replica):
    flags = (*ISEGAN_SA_2, "--mixed_precision", "float16", "--save_freq", "3")
    first = TrainingRun(tiny_args("isegan", tmp_path, tiny_records, *flags, "--max_steps", "3"), one_replica)
    first.trainer.d_scale.scale.assign(64.0)  # a state the start value cannot be mistaken for
    first.train()
    state = first.trainer.loss_scale_state()
    assert state["d_loss_scale"] <= 64 and state["g_loss_scale"] <= loss_scale.INITIAL_SCALE
    resumed = TrainingRun(tiny_args("isegan", tmp_path, tiny_records, *flags, "--max_steps", "6"), one_replica)
    assert resumed.restore() == 3 and resumed.trainer.loss_scale_state() == state


@pytest.mark.slow
def test_float16_skips_a_step_that_overflows_on_any_replica(tiny_records, tmp_path, two_replicas, monkeypatch):
    """One replica's non-finite gradients skip the update on both (weights and RMSProp state unchanged) and
    halve the scale; finite steps update and, every GROWTH_STEPS in a row, double it."""
    monkeypatch.setattr(loss_scale, "GROWTH_STEPS", 2)
    monkeypatch.setattr(loss_scale, "INITIAL_SCALE", 8.0)  # where this model's finite batches do not overflow
    args = tiny_args("isegan", tmp_path, tiny_records, *ISEGAN_SA_2, "--mixed_precision", "float16")
    tr = Trainer(args.model, args.training, two_replicas)
    clean = tf.random.normal([2, 512, 1]) * 0.1
    broken = tf.tensor_scatter_nd_update(clean, [[0, 7, 0]], [np.inf])

    def batch(replica_1):  # replica 0 gets `clean`, replica 1 `replica_1`
        values = tr.strategy.experimental_distribute_values_from_function(
            lambda ctx: [clean, replica_1][ctx.replica_id_in_sync_group])
        return values, values

    learned = tr.chain.trainable_variables + tr.disc.trainable_variables + tr.g_opt.variables + tr.d_opt.variables
    for net in ("d", "g"):
        step, scale = tf.function(getattr(tr, f"{net}_step")), getattr(tr, f"{net}_scale")
        before = [v.numpy() for v in learned]
        step(*batch(broken))
        assert all(np.array_equal(b, v.numpy()) for b, v in zip(before, learned) if "iteration" not in v.path)
        assert scale.scale.numpy() == loss_scale.INITIAL_SCALE / 2 and scale.skipped.numpy() == 1
        step(*batch(clean))
        assert sum(not np.array_equal(b, v.numpy()) for b, v in zip(before, learned)) > 10
        assert scale.scale.numpy() == loss_scale.INITIAL_SCALE / 2
        step(*batch(clean))
        assert scale.scale.numpy() == loss_scale.INITIAL_SCALE and scale.skipped.numpy() == 1


@pytest.mark.slow
def test_float16_stops_when_its_loss_scale_falls_below_1(tiny_records, tmp_path, one_replica, monkeypatch):
    """Below 1 the scale no longer rescues anything: the gradients overflow float16 unscaled, and every step
    would be skipped. (A scale that starts there stands in for the overflows that would bring it there.)"""
    monkeypatch.setattr(loss_scale, "INITIAL_SCALE", 0.5)
    run = TrainingRun(tiny_args("isegan", tmp_path, tiny_records, *ISEGAN_SA_2, "--max_steps", "4",
                                "--mixed_precision", "float16"), one_replica)
    with pytest.raises(TrainingDiverged, match="float16 gradients overflow even unscaled at iteration 1"):
        run.train()
    assert checkpoint_files.checkpoint_steps(str(tmp_path)) == []
