"""--kernels: the tuned forms (common/nn/conv_kernels.py: matmul forms, written gradients, sigma placed by size) and
TensorFlow's native ones compute the same generator chain and discriminator, outputs and every gradient, within
float32 rounding; each model keeps the form it was built with; auto picks tuned on a machine without a GPU, where
the models are built."""
import numpy as np
import pytest
import tensorflow as tf

from common.config import cli
from common.config.named_configs import tiny
from common.models.build import build_models
from common.nn import spectral_norm
from common.nn.conv import Conv, PReLU
from common.nn.conv_kernels import FORMS, resolve
from common.nn.spectral_norm import SpectralNorm
from common.rundir import trained_chain
from common.training.trainer import Trainer
from tests.conftest import tiny_args


def models_in_both_forms(cfg):
    """{form: (chain, discriminator)} built with each form, with the same weights and spectral-norm state."""
    models = {form: build_models(cfg, kernels=form) for form in FORMS}
    tuned, native = ([*chain.variables, *disc.variables] for chain, disc in models.values())
    assert len(tuned) == len(native)
    for a, b in zip(tuned, native):
        assert a.path == b.path
        b.assign(a)
    return models


def outputs_and_gradients(chain, discriminator, clean, noisy, zs, weights):
    """The chain's stages and D's logits on them, and the gradient of a fixed weighted sum of both with
    respect to every variable, with u frozen (deferred spectral-norm updates: every call starts from it)."""
    with spectral_norm.deferred_updates(), tf.GradientTape() as tape:
        stages = chain(noisy, zs=zs)
        logits = discriminator.logits_of(clean, stages, noisy)
        loss = tf.add_n([tf.reduce_sum(w * s) for w, s in zip(weights, stages)]) + tf.add_n(map(tf.reduce_sum, logits))
    variables = chain.trainable_variables + discriminator.trainable_variables
    return [*stages, *logits], tape.gradient(loss, variables), variables


@pytest.mark.parametrize("name", ["ISEGAN-SA-2", "SASEGAN", "DSEGAN-2"])
def test_native_and_tuned_forms_agree_on_outputs_and_every_gradient(name):
    tf.keras.utils.set_random_seed(3)
    cfg = tiny(name)
    models = models_in_both_forms(cfg)
    rng = np.random.default_rng(3)
    clean, noisy = (tf.constant(0.3 * rng.standard_normal((4, cfg.canvas_size, 1)), tf.float32) for _ in range(2))
    zs = [tf.constant(rng.standard_normal(cfg.z_shape(4)), tf.float32) for _ in range(cfg.stages)]
    weights = [tf.constant(rng.standard_normal((4, cfg.canvas_size, 1)), tf.float32) for _ in range(cfg.stages)]
    tuned = outputs_and_gradients(*models["tuned"], clean, noisy, zs, weights)
    native = outputs_and_gradients(*models["native"], clean, noisy, zs, weights)
    for a, b in zip(tuned[0], native[0]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
    assert len(tuned[1]) == len(tuned[2]) > 20 and all(g is not None for g in tuned[1] + native[1])
    largest = max(float(tf.reduce_max(tf.abs(g))) for g in native[1])
    for g_tuned, g_native, v in zip(tuned[1], native[1], tuned[2]):
        # within 1e-4 of the variable's own gradient, or of the largest one where its own nearly cancels out
        # (a conv bias before D's batch norm: zero up to rounding)
        scale = max(float(tf.reduce_max(tf.abs(g_native))), 1e-3 * largest)
        assert float(tf.reduce_max(tf.abs(g_tuned - g_native))) <= 1e-4 * scale, v.path


TUNED_OPS = {"Einsum", "IdentityN"}  # the transposed conv's matmul form; a written gradient's identity


def test_models_built_with_different_forms_in_one_process_each_keep_their_own():
    """A tuned and a native chain and D, built in one process and traced in turn (tuned again after native):
    every layer holds the form its model was built with, each traces its own ops, and they agree."""
    cfg = tiny("SEGAN")  # no attention: its matmuls are in both forms
    models = models_in_both_forms(cfg)
    rng = np.random.default_rng(5)
    clean, noisy = (tf.constant(0.3 * rng.standard_normal((2, cfg.canvas_size, 1)), tf.float32) for _ in range(2))
    zs = [tf.constant(rng.standard_normal(cfg.z_shape(2)), tf.float32)]
    outputs = {}
    for form in ("tuned", "native", "tuned"):
        chain, disc = models[form]
        g = chain.stage_generator(0)
        layers = [*g.enc, *g.dec, *g.enc_act, *g.dec_act, *disc.convs, disc.head]
        assert g.kernels == disc.kernels == form and {layer.kernels for layer in layers} == {form}

        @tf.function(autograph=False)
        def step():
            stages = chain(noisy, zs=zs)
            return [*stages, *disc.logits_of(clean, stages, noisy)]

        ops = {op.type for op in step.get_concrete_function().graph.get_operations()}
        assert (ops >= TUNED_OPS if form == "tuned" else not ops & TUNED_OPS), (form, ops & TUNED_OPS)
        outputs.setdefault(form, []).append([t.numpy() for t in step()])
    np.testing.assert_array_equal(*(np.concatenate([a.ravel() for a in out]) for out in outputs["tuned"]))
    for a, b in zip(outputs["tuned"][0], outputs["native"][0]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_auto_is_tuned_without_a_gpu_and_resolved_where_the_models_are_built(tmp_path, one_replica):
    assert not tf.config.list_physical_devices("GPU")  # the CPU suite
    assert [resolve(f) for f in ("auto", "tuned", "native")] == ["tuned", "tuned", "native"]
    with pytest.raises(ValueError, match="kernel form 'cudnn'"):
        resolve("cudnn")
    for layer in (lambda k: Conv(8, kernels=k), lambda k: PReLU(kernels=k), lambda k: SpectralNorm(kernels=k)):
        assert layer("native").kernels == "native"
        with pytest.raises(ValueError, match="kernel form 'auto' for a layer"):  # resolved once, before
            layer("auto")
    for given, built in (("auto", "tuned"), ("native", "native")):
        args = tiny_args("segan", tmp_path, "unread.tfrecords", "--kernels", given)
        trainer = Trainer(args.model, args.training, one_replica)
        assert trainer.kernels == trainer.disc.kernels == trainer.chain.stage_generator(0).kernels == built


def test_a_run_is_loaded_with_the_form_asked_for(tiny_run):
    assert trained_chain.load_chain(str(tiny_run), "0").chain.stage_generator(0).kernels == "tuned"  # auto
    assert trained_chain.load_chain(str(tiny_run), "0", kernels="native").chain.stage_generator(0).kernels == "native"
