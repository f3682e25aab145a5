"""Shared blocks: conv/deconv (both formulations, TF1 alignment, init), activations, spectral
norm, self-attention, virtual batch norm."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from common.nn.attention import SelfAttention
from common.nn.conv import Conv, Deconv, PReLU, leaky_relu
from common.nn.conv_kernels import FORMS, MATMUL_MAX_LENGTH, conv_im2col, conv_same, deconv_col2im, deconv_same, prelu
from common.nn.spectral_norm import SpectralNorm
from common.nn.vbn import VirtualBatchNorm
from tests import tf1_reference as ref

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def randn(rng, *shape, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


# ---- conv / deconv ----------------------------------------------------------------------

LENGTHS = [8, MATMUL_MAX_LENGTH, 4 * MATMUL_MAX_LENGTH]  # output lengths, tuned: matmul, matmul, tf.nn


@pytest.mark.parametrize("kernels", FORMS)
@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("spectral_norm", [False, True])
def test_conv_matches_tf1_layout(length, spectral_norm, kernels, rng):
    x = randn(rng, 3, 2 * length, 5)
    layer = Conv(7, spectral_norm=spectral_norm, kernels=kernels)
    layer.build(x.shape)
    layer.bias.assign(randn(rng, 7))
    w = ref.Weights(layer)
    expected = ref.downconv(x.astype(np.float64), w.kernel(), w.get("bias"))
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kernels", FORMS)
@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("spectral_norm", [False, True])
def test_deconv_matches_tf1_layout(length, spectral_norm, kernels, rng):
    x = randn(rng, 3, length // 2, 5)
    layer = Deconv(7, spectral_norm=spectral_norm, kernels=kernels)
    layer.build(x.shape)
    layer.bias.assign(randn(rng, 7))
    w = ref.Weights(layer)
    expected = ref.deconv(x.astype(np.float64), w.kernel(), w.get("bias"))
    y = layer(x)
    assert y.shape == (3, length, 7)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


# (kwidth, stride, input length): the matmul forms' and the tf.nn forms'
IM2COL_CASES = [(31, 2, 16), (31, 2, 15), (4, 2, 9), (1, 1, 6), (5, 3, 12)]
COL2IM_CASES = [(31, 2, 8), (31, 2, 1), (4, 2, 5), (5, 2, 3), (7, 3, 4)]
CONV_CASES = [(31, 2, 64), (31, 2, 63), (4, 2, 9), (1, 1, 6), (5, 3, 12), (3, 1, 40), (1, 2, 6)]  # last: k < stride


def _gradients(op, x, w):
    """Output and gradients of a fixed random weighting of it (the same weights at every call)."""
    x, w = tf.constant(x), tf.constant(w)
    weights = tf.constant(np.random.default_rng(1).standard_normal(op(x, w).shape))
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = op(x, w)
        loss = tf.reduce_sum(weights * y)
    return [y.numpy(), *(g.numpy() for g in tape.gradient(loss, [x, w]))]


def _cases(**forms):
    return [(form, *case) for form, cases in forms.items() for case in cases]


@pytest.mark.parametrize("form,kwidth,stride,length", _cases(matmul=IM2COL_CASES, tf_nn=CONV_CASES))
def test_conv_gradients_equal_tf_gradients(form, kwidth, stride, length, rng):
    """The written gradients of both forms (matmul: framing's, an overlap-add; tf.nn: the kernel gradient
    as a dilated forward conv) give TF's output, input and kernel gradients."""
    x, w = rng.standard_normal((2, length, 3)), rng.standard_normal((kwidth, 3, 4))
    conv = {"matmul": conv_im2col, "tf_nn": conv_same}[form]
    ours = _gradients(lambda x, w: conv(x, w, stride), x, w)
    for a, b in zip(ours, _gradients(lambda x, w: tf.nn.conv1d(x, w, stride, "SAME"), x, w)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("form,kwidth,stride,length", _cases(matmul=COL2IM_CASES, tf_nn=CONV_CASES))
def test_deconv_gradients_equal_tf_gradients(form, kwidth, stride, length, rng):
    """The same for transposed convs (matmul: the overlap-add's gradient, framing)."""
    x, w = rng.standard_normal((2, length, 3)), rng.standard_normal((kwidth, 4, 3))
    deconv = {"matmul": deconv_col2im, "tf_nn": deconv_same}[form]

    def tf_deconv(x, w):
        return tf.nn.conv1d_transpose(x, w, [2, stride * length, 4], stride, "SAME")

    for a, b in zip(_gradients(lambda x, w: deconv(x, w, stride), x, w), _gradients(tf_deconv, x, w)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_conv_init_and_layouts():
    conv, deconv = Conv(64), Deconv(64)
    conv.build((None, 64, 32))
    deconv.build((None, 64, 32))
    assert conv.kernel.shape == (31, 32, 64) and deconv.kernel.shape == (31, 64, 32)
    for layer in (conv, deconv):
        k = layer.kernel.numpy()
        assert np.abs(k).max() <= 0.04 + 1e-6                 # truncated at 2 sigma
        assert 0.015 < k.std() < 0.02                          # std 0.02 before truncation
        assert not layer.bias.numpy().any()


def test_conv_kernels_are_drawn_per_layer_and_follow_the_seed():
    """Two layers of one shape draw different kernels, and the same global seed draws the same ones again
    (a shared initialiser instance gave every kernel of a shape the same values whatever the seed)."""
    import keras

    def kernels():
        keras.utils.set_random_seed(7)
        layers = [Conv(8), Conv(8), Deconv(8)]
        for layer in layers:
            layer.build((None, 16, 4))
        return [layer.kernel.numpy() for layer in layers]

    first, second = kernels(), kernels()
    assert not np.array_equal(first[0], first[1])
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kernels", FORMS)
def test_prelu_and_leaky_relu(kernels, rng):
    x = randn(rng, 2, 10, 4)
    act = PReLU(kernels=kernels)
    act.build(x.shape)
    assert not act.alpha.numpy().any()
    np.testing.assert_allclose(act(x), np.maximum(x, 0))       # alpha 0 at init: relu
    act.alpha.assign(randn(rng, 4))
    np.testing.assert_allclose(act(x), ref.prelu(x, act.alpha.numpy()), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(leaky_relu(x), np.maximum(x, 0.3 * x), rtol=1e-6)


def test_prelu_written_gradient_equals_automatic_one(rng):
    """prelu's written gradients (input and alpha) equal automatic differentiation of its definition."""
    x, alpha = rng.standard_normal((2, 10, 4)), rng.standard_normal(4)
    x[0, :2] = 0.0  # the kink: both give alpha there (TF's gradient of min at a tie)

    def definition(x, alpha):
        return tf.nn.relu(x) + alpha * tf.minimum(x, 0.0)

    for a, b in zip(_gradients(prelu, x, alpha), _gradients(definition, x, alpha)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# ---- spectral norm ----------------------------------------------------------------------

def _sn_layer(shape, dtype="float32", kernels="native"):
    sn = SpectralNorm(dtype=dtype, kernels=kernels)
    sn.build(shape)
    return sn


@pytest.mark.parametrize("kernels", FORMS)
@pytest.mark.parametrize("shape", [(31, 5, 7), (31, 7, 5), (1, 16, 2)])
def test_spectral_norm_one_step_matches_reference(shape, kernels, rng):
    sn, w = _sn_layer(shape, kernels=kernels), randn(rng, *shape)
    assert sn.u.shape == (1, shape[-1]) and not sn.u.trainable
    assert sn.non_trainable_weights == [sn.u] and not sn.trainable_weights
    u0 = sn.u.numpy().astype(np.float64)
    sigma, u1 = ref.sn_step(w.astype(np.float64), u0)
    np.testing.assert_allclose(sn(w), sigma, rtol=1e-5)
    np.testing.assert_allclose(sn.u.numpy(), u1, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer_class", [Conv, Deconv])
def test_spectral_norm_divides_kernel_or_output_alike(layer_class, rng):
    """Tuned, sigma divides the conv's output where it is smaller than the kernel (known batch) and the kernel
    otherwise (unknown batch): the same outputs and gradients."""
    x = randn(rng, 2, 8, 5)  # output 2 x 8 (x 2) x 7 steps x channels < kernel 31 x 5 x 7: the output is divided
    layer = layer_class(7, spectral_norm=True, kernels="tuned")
    layer.build(x.shape)
    u0, weights = layer.sn.u.numpy(), tf.constant(randn(rng, *layer(x).shape))

    def run(call):
        layer.sn.u.assign(u0)
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            loss = tf.reduce_sum(weights * call(xt))
        return [g.numpy() for g in tape.gradient(loss, [xt, layer.kernel])] + [loss.numpy()]

    unknown_batch = tf.function(layer, input_signature=[tf.TensorSpec([None, *x.shape[1:]])])
    for a, b in zip(run(layer), run(unknown_batch)):  # float32 sums in two orders; a missed sigma (~0.3) is off 3x
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_spectral_norm_converges_to_unit_top_singular_value(rng):
    """Repeated calls (u persists) drive the top singular value of kernel / sigma to 1."""
    left, _ = np.linalg.qr(rng.standard_normal((31 * 8, 16)))
    right, _ = np.linalg.qr(rng.standard_normal((16, 16)))
    spectrum = np.linspace(1.0, 2.0, 16)
    spectrum[-1] = 3.0
    w = (left * spectrum @ right.T).reshape(31, 8, 16).astype(np.float32)
    sn = _sn_layer(w.shape)
    errors = []
    for _ in range(30):
        top = np.linalg.svd((w / sn(w).numpy()).reshape(-1, 16), compute_uv=False)[0]
        errors.append(abs(top - 1.0))
    assert errors[-1] < 1e-5 and errors[-1] < errors[0]
    np.testing.assert_allclose(sn(w), 3.0, rtol=1e-5)


@pytest.mark.parametrize("kernels", FORMS)
def test_spectral_norm_gradient_flows_through_power_iteration(kernels, rng):
    """No stop-gradient on u, v: dσ/dW equals finite differences of the whole iteration, which
    differs from the stop-gradient value vᵀu'."""
    shape = (3, 4, 5)
    sn = _sn_layer(shape, "float64", kernels)
    u0 = sn.u.numpy()
    w = tf.constant(rng.standard_normal(shape))
    with tf.GradientTape() as tape:
        tape.watch(w)
        sigma = sn(w)
    grad = tape.gradient(sigma, w).numpy()
    direction, eps = rng.standard_normal(shape), 1e-6

    def sigma_at(kernel):
        sn.u.assign(u0)
        return float(sn(tf.constant(kernel)))

    numeric = (sigma_at(w.numpy() + eps * direction) - sigma_at(w.numpy() - eps * direction)) / (2 * eps)
    np.testing.assert_allclose(np.sum(grad * direction), numeric, rtol=1e-5)
    mat = w.numpy().reshape(-1, 5)
    v = ref.l2n(u0 @ mat.T)
    u1 = ref.l2n(v @ mat)
    assert not np.allclose(grad.reshape(-1, 5), v.T @ u1, atol=1e-3)


@pytest.mark.parametrize("shape", [(31, 6, 4), (31, 4, 6), (1, 16, 2)])
def test_spectral_norm_written_gradient_equals_automatic_one(shape, rng):
    """The written-out gradient of sigma (tuned; and of anything downstream of it) equals automatic
    differentiation of the plain power iteration, entry by entry."""
    sn = _sn_layer(shape, "float64", "tuned")
    u0 = sn.u.numpy()
    w = tf.constant(rng.standard_normal(shape))
    weights = tf.constant(rng.standard_normal(shape))

    def plain_sigma(kernel):
        mat = tf.reshape(kernel, [-1, shape[-1]])
        v = tf.matmul(u0, mat, transpose_b=True)
        v = v / (tf.norm(v) + 1e-12)
        vw = tf.matmul(v, mat)
        return tf.reduce_sum(vw * vw / (tf.norm(vw) + 1e-12))

    grads = []
    for sigma_of in (sn, plain_sigma):
        with tf.GradientTape() as tape:
            tape.watch(w)
            sigma = sigma_of(w)
            loss = tf.reduce_sum(weights * w) / sigma + tf.square(sigma)
        grads.append(tape.gradient(loss, w).numpy())
        sn.u.assign(u0)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-9, atol=1e-12)


@pytest.mark.slow
def test_spectral_norm_under_mirrored_strategy():
    """u is assigned inside strategy.run (replica context) with 2 logical CPU devices."""
    script = textwrap.dedent("""
        import numpy as np, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from common.config.named_configs import tiny
        from common.models.build import build_models
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        cfg = tiny("SASEGAN")
        with strategy.scope():
            chain, disc = build_models(cfg, kernels="tuned")
        u = chain.stage_generator(0).enc[0].sn.u
        u0 = u.numpy().copy()

        @tf.function
        def step(noisy, clean):
            def replica(noisy, clean):
                stats = disc.reference(clean, noisy)
                return disc(chain(noisy)[-1], noisy, stats)
            return strategy.run(replica, args=(noisy, clean))

        x = tf.random.normal([4, cfg.canvas_size, 1])
        data = tf.data.Dataset.from_tensor_slices((x, x)).batch(4)
        for noisy, clean in strategy.experimental_distribute_dataset(data):
            logits = strategy.experimental_local_results(step(noisy, clean))
        replicas = [r.numpy() for r in u.value.values]
        assert len(logits) == 2 and logits[0].shape == (2, 1), logits
        assert not np.allclose(replicas[0], u0) and np.allclose(replicas[0], replicas[1])
        print("OK")
    """)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=REPO)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.stdout.strip().endswith("OK"), result.stderr[-3000:]


# ---- self-attention ---------------------------------------------------------------------

def _attention(channels=16, length=32):
    block = SelfAttention(channels)
    block.build((None, length, channels))
    return block


def test_attention_is_identity_at_init_and_rows_sum_to_one(rng):
    block, x = _attention(), randn(rng, 2, 32, 16)
    y, attn = block(x, return_attention=True)
    np.testing.assert_array_equal(y, x)
    assert attn.shape == (2, 32, 8)
    np.testing.assert_allclose(tf.reduce_sum(attn, axis=-1), 1.0, rtol=1e-5)


def test_attention_matches_reference_math(rng):
    block, x = _attention(), randn(rng, 2, 32, 16)
    block.sigma.assign(0.7)
    w = ref.Weights(block)
    expected, expected_attn = ref.attention(x.astype(np.float64), w)
    y, attn = block(x, return_attention=True)
    np.testing.assert_allclose(attn, expected_attn, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_attention_parameters():
    block = _attention(channels=128, length=256)
    assert sum(int(np.prod(v.shape)) for v in block.trainable_weights) == 1.25 * 128 ** 2 + 1
    assert len(block.non_trainable_weights) == 4                # one u per 1x1 conv
    shapes = {v.path.split("/")[-2]: v.shape for v in block.trainable_weights if "kernel" in v.path}
    assert shapes == {"sn_conv_theta": (1, 128, 16), "sn_conv_phi": (1, 128, 16),
                      "sn_conv_g": (1, 128, 64), "sn_conv_attn": (1, 64, 128)}


# ---- virtual batch norm -----------------------------------------------------------------

def test_vbn_matches_reference_formula(rng):
    ref_x, x = randn(rng, 5, 12, 4, scale=2.0) + 1.0, randn(rng, 3, 12, 4)
    vbn = VirtualBatchNorm()
    vbn.build(x.shape)
    vbn.beta.assign(randn(rng, 4))
    gamma, beta = vbn.gamma.numpy(), vbn.beta.numpy()
    assert np.all(np.abs(gamma - 1) < 0.1) and gamma.std() > 0       # γ ~ N(1, 0.02)
    out_ref, stats = vbn.reference(ref_x)
    exp_ref, exp_stats = ref.vbn(ref_x.astype(np.float64), gamma, beta)
    np.testing.assert_allclose(out_ref, exp_ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(stats.mean, exp_stats[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats.mean_sq, exp_stats[1], rtol=1e-5)
    assert float(stats.batch_size) == 5
    # c = 1/(B_ref + 1) = 1/6 from the reference batch, not the candidate's 3
    np.testing.assert_allclose(vbn(x, stats), ref.vbn(x.astype(np.float64), gamma, beta, exp_stats)[0],
                               rtol=1e-4, atol=1e-5)


def test_vbn_gradients_flow_through_reference_statistics(rng):
    ref_x, x = tf.constant(randn(rng, 4, 8, 3)), tf.constant(randn(rng, 4, 8, 3))
    vbn = VirtualBatchNorm()
    vbn.build(x.shape)
    with tf.GradientTape() as tape:
        tape.watch(ref_x)
        out = vbn(x, vbn.reference(ref_x)[1])
        loss = tf.reduce_sum(out * tf.constant(randn(rng, 4, 8, 3)))
    assert np.abs(tape.gradient(loss, ref_x).numpy()).max() > 1e-4
