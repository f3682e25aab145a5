"""--mixed_precision bfloat16: what computes in bfloat16 and what stays float32, the loss curve against
float32's, and checkpoints that load across precisions."""
import numpy as np
import pytest
import tensorflow as tf

from common import rundir
from common.errors import FlagsMismatch
from common.models import build_models
from common.named_configs import tiny
from common.training_run import TrainingRun
from tests.conftest import tiny_args

ISEGAN_SA_2 = ["--stages", "2", "--self_attention"]


def test_bfloat16_computes_the_convolutions_and_keeps_the_sensitive_parts_float32():
    chain, disc = build_models(tiny("SASEGAN"), "bfloat16")
    assert {v.dtype for m in (chain, disc) for v in m.variables} == {"float32"}  # variables, u, σ, γ, β
    g = chain.generators[0]
    assert g.enc[0].compute_dtype == "bfloat16" and g.enc[0].sn.compute_dtype == "float32"
    assert disc.convs[0].compute_dtype == "bfloat16" and disc.vbns[0].compute_dtype == "float32"
    noisy = tf.random.normal([2, 512, 1]) * 0.1
    stages, maps = g(noisy, return_attention=True)
    assert stages.dtype == tf.bfloat16 and all(m.dtype == tf.float32 for m in maps.values())  # softmax
    ref = disc.reference(noisy, noisy)
    assert all(s.mean.dtype == tf.float32 for s in ref)  # VBN statistics
    assert disc(stages, noisy, ref).dtype == tf.bfloat16
    assert build_models(tiny("SEGAN"))[0].generators[0].enc[0].compute_dtype == "float32"  # the policy is restored


def test_bfloat16_training_follows_the_float32_loss_curve(tiny_records, tmp_path, one_replica):
    """Same seed, data and z: the runs differ only by bfloat16 rounding (relative 2^-8 per operation),
    which grows through training. Over 200 iterations the 50-iteration means of D's and G's losses and of
    each stage's L1 stay within 5 % of float32's (measured: within 1 %); a term computed in the wrong
    precision or a loss that stops falling would not."""
    curves = {}
    for precision in ("float32", "bfloat16"):
        run = tmp_path / precision
        training = TrainingRun(tiny_args("isegan", run, tiny_records, *ISEGAN_SA_2, "--max_steps", "200", "--seed", "3",
                                         "--save_freq", "200", "--mixed_precision", precision), one_replica)
        assert training.trainer.chain(tf.zeros([1, 512, 1]))[-1].dtype == tf.as_dtype(precision)
        training.train()
        curves[precision] = np.genfromtxt(run / rundir.LOSS_FILE, delimiter=",", names=True)
    for name in ("d_loss", "g_loss", "g_l1_0", "g_l1_1"):
        f32, bf16 = (curves[p][name].reshape(4, 50).mean(axis=1) for p in ("float32", "bfloat16"))
        np.testing.assert_allclose(bf16, f32, rtol=0.05, err_msg=name)
        assert f32[-1] < 0.75 * f32[0], (name, f32)  # the loss falls: the comparison means something


def test_a_checkpoint_of_one_precision_resumes_and_tests_in_the_other(tiny_records, tmp_path, one_replica):
    TrainingRun(tiny_args("isegan", tmp_path, tiny_records, *ISEGAN_SA_2, "--max_steps", "2"), one_replica).train()
    with pytest.raises(FlagsMismatch, match="mixed_precision: float32 \\(saved\\) vs bfloat16"):
        TrainingRun(tiny_args("isegan", tmp_path, tiny_records, *ISEGAN_SA_2, "--max_steps", "4",
                              "--mixed_precision", "bfloat16"), one_replica).train()
    resumed = TrainingRun(tiny_args("isegan", tmp_path, tiny_records, *ISEGAN_SA_2, "--max_steps", "4",
                                    "--mixed_precision", "bfloat16", "--allow_changes"), one_replica)
    assert resumed.restore() == 2 and resumed.train() == 4
    saved = rundir.load_flags(str(tmp_path))
    assert "mixed_precision: float32 (saved) vs bfloat16 (now)" in saved["changes"][-1]["changes"]
    back = TrainingRun(tiny_args("isegan", tmp_path, tiny_records, *ISEGAN_SA_2, "--max_steps", "6",
                                 "--allow_changes"), one_replica)
    assert back.restore() == 4 and back.train() == 6
    trained = rundir.load_chain(str(tmp_path), "4")  # test mode computes in float32 from either
    noisy = tf.random.normal([2, 512, 1]) * 0.1
    zs = [tf.random.normal(trained.cfg.z_shape(2)) for _ in range(2)]
    ours = trained.chain(noisy, zs=zs)[-1]
    bf16 = resumed.trainer.chain  # holds the weights of checkpoint 4 after its train()
    resumed.trainer.checkpoint.read(rundir.checkpoint_prefix(str(tmp_path), 4)).expect_partial()
    np.testing.assert_allclose(tf.cast(bf16(noisy, zs=zs)[-1], tf.float32), ours, atol=0.02)
