"""--kernels: the tuned forms (common/nn/conv_kernels.py: matmul forms, written gradients, sigma placed by size) and
TensorFlow's native ones compute the same generator chain and discriminator, outputs and every gradient, within
float32 rounding; auto picks tuned on a machine without a GPU."""
import numpy as np
import pytest
import tensorflow as tf

from common.config.named_configs import tiny
from common.models.build import build_models
from common.nn import conv_kernels, spectral_norm
from common.nn.conv_kernels import kernel_form


def outputs_and_gradients(form, chain, discriminator, clean, noisy, zs, weights):
    """The chain's stages and D's logits on them, and the gradient of a fixed weighted sum of both with
    respect to every variable, with u frozen (deferred spectral-norm updates: both forms start from it)."""
    with kernel_form(form), spectral_norm.deferred_updates(), tf.GradientTape() as tape:
        stages = chain(noisy, zs=zs)
        logits = discriminator.logits_of(clean, stages, noisy)
        loss = tf.add_n([tf.reduce_sum(w * s) for w, s in zip(weights, stages)]) + tf.add_n(map(tf.reduce_sum, logits))
    variables = chain.trainable_variables + discriminator.trainable_variables
    return [*stages, *logits], tape.gradient(loss, variables), variables


@pytest.mark.parametrize("name", ["ISEGAN-SA-2", "SASEGAN", "DSEGAN-2"])
def test_native_and_tuned_forms_agree_on_outputs_and_every_gradient(name):
    tf.keras.utils.set_random_seed(3)
    cfg = tiny(name)
    chain, discriminator = build_models(cfg)
    rng = np.random.default_rng(3)
    clean, noisy = (tf.constant(0.3 * rng.standard_normal((4, cfg.canvas_size, 1)), tf.float32) for _ in range(2))
    zs = [tf.constant(rng.standard_normal(cfg.z_shape(4)), tf.float32) for _ in range(cfg.stages)]
    weights = [tf.constant(rng.standard_normal((4, cfg.canvas_size, 1)), tf.float32) for _ in range(cfg.stages)]
    tuned = outputs_and_gradients("tuned", chain, discriminator, clean, noisy, zs, weights)
    native = outputs_and_gradients("native", chain, discriminator, clean, noisy, zs, weights)
    for a, b in zip(tuned[0], native[0]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
    assert len(tuned[1]) == len(tuned[2]) > 20 and all(g is not None for g in tuned[1] + native[1])
    largest = max(float(tf.reduce_max(tf.abs(g))) for g in native[1])
    for g_tuned, g_native, v in zip(tuned[1], native[1], tuned[2]):
        # within 1e-4 of the variable's own gradient, or of the largest one where its own nearly cancels out
        # (a conv bias before D's batch norm: zero up to rounding)
        scale = max(float(tf.reduce_max(tf.abs(g_native))), 1e-3 * largest)
        assert float(tf.reduce_max(tf.abs(g_tuned - g_native))) <= 1e-4 * scale, v.name


def test_auto_is_tuned_without_a_gpu_and_the_choice_is_restored():
    assert not tf.config.list_physical_devices("GPU")  # the CPU suite
    with kernel_form("native"):
        assert conv_kernels.native()
        with kernel_form("auto") as chosen:
            assert chosen == "tuned" and not conv_kernels.native()
        assert conv_kernels.native()
    with pytest.raises(ValueError, match="kernel form 'cudnn'"):
        conv_kernels.use("cudnn")
