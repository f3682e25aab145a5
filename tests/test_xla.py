"""--xla: the training step on two replicas (the spectral-norm updates leave the compiled function) and the
test-time generator calls. That one iteration equals the uncompiled one is in tests/test_reference_io.py."""
import numpy as np
import pytest
import tensorflow as tf

from common.config.named_configs import tiny
from common.enhancement.enhance import Enhancer
from common.models.build import build_models
from common.rundir import checkpoint_files, flags_file, layout
from common.training.training_run import TrainingRun
from tests.conftest import tiny_args

pytestmark = pytest.mark.slow  # XLA compilation


def test_xla_training_runs_on_two_replicas_and_keeps_the_spectral_norm_state(tiny_records, tmp_path, two_replicas):
    run = TrainingRun(tiny_args("isegan", tmp_path, tiny_records, "--stages", "2", "--self_attention", "--d_attention",
                                "--max_steps", "2", "--xla"), two_replicas)
    u = [v for v in run.trainer.chain.variables + run.trainer.disc.variables if v.path.endswith("/sn/u")]
    before = [v.numpy().copy() for v in u]
    assert run.train() == 2
    assert all(not np.array_equal(b, v.numpy()) for b, v in zip(before, u))  # every power iteration kept
    assert checkpoint_files.checkpoint_steps(str(tmp_path)) == [2]
    assert flags_file.load_flags(str(tmp_path))["flags"]["xla"] is True
    losses = np.genfromtxt(tmp_path / layout.LOSS_FILE, delimiter=",", names=True)
    assert np.isfinite(losses["g_loss"]).all() and np.isfinite(losses["d_loss"]).all()


def test_xla_enhancement_equals_the_plain_one():
    """With z fixed (XLA draws other random numbers from the same seed), the compiled calls give the plain
    calls' output within float32 rounding."""
    cfg = tiny("ISEGAN-SA-2")
    chain, _ = build_models(cfg, kernels="tuned")

    def zero_z(w):
        return chain(w, zs=[tf.zeros(cfg.z_shape(tf.shape(w)[0]))] * cfg.stages)

    x = (np.random.default_rng(0).uniform(-0.5, 0.5, 3000) * 32767).astype(np.int16)
    u = [v.numpy().copy() for v in chain.non_trainable_variables]
    plain = Enhancer(zero_z, 512, 0.95, batch=4)(x)
    for v, value in zip(chain.non_trainable_variables, u):  # each call runs a power iteration: start alike
        v.assign(value)
    compiled = Enhancer(zero_z, 512, 0.95, batch=4, xla=True)(x)
    assert compiled.shape == plain.shape == x.shape
    np.testing.assert_allclose(compiled, plain, rtol=1e-4, atol=1e-4)
