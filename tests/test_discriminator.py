"""The discriminator: reference pass and logits against the TF1-style reference (VBN mixing,
SN, attention), input noise, head, gradients through the VBN reference (tiny configurations;
full-size shapes are in test_variants)."""
import numpy as np
import pytest
import tensorflow as tf

from common.config.named_configs import tiny
from common.models import discriminator
from common.models.discriminator import Discriminator
from common.nn.conv_kernels import FORMS
from common.nn.conv import leaky_relu
from tests import tf1_reference as ref

def make_discriminator(cfg, rng, kernels="native"):
    d = Discriminator(cfg, kernels=kernels)
    d.build((None, cfg.canvas_size, 1))
    for v in d.trainable_variables:
        if v.path.rsplit("/", 1)[-1] in ("bias", "beta", "sigma_ratio"):
            v.assign(0.3 * rng.standard_normal(v.shape))
    return d


def wave(cfg, batch, rng):
    return rng.uniform(-1, 1, (batch, cfg.canvas_size, 1)).astype(np.float32)


@pytest.mark.parametrize("kernels", FORMS)
@pytest.mark.parametrize("d_attention", [False, True])
def test_matches_tf1_reference(d_attention, kernels, rng):
    """Reference pass on a real pair of batch 4, then a candidate pass of batch 3 whose VBN
    mixes with c = 1/(4+1); with attention, SN's u advances once per pass as in the reference."""
    cfg = tiny(d_attention=d_attention)
    d = make_discriminator(cfg, rng, kernels)
    clean, noisy = wave(cfg, 4, rng), wave(cfg, 4, rng)
    candidate, noisy3 = wave(cfg, 3, rng), noisy[:3]
    weights = ref.Weights(d)
    f64 = np.float64
    _, exp_stats = ref.discriminator(clean.astype(f64), noisy.astype(f64), weights, cfg)
    exp_logits, _ = ref.discriminator(candidate.astype(f64), noisy3.astype(f64), weights, cfg,
                                      exp_stats)
    stats = d.reference(clean, noisy)
    logits = d(candidate, noisy3, stats)
    assert len(stats) == len(cfg.d_num_fmaps) and logits.shape == (3, 1)
    for s, (mean, mean_sq, batch) in zip(stats, exp_stats):
        np.testing.assert_allclose(s.mean, mean, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(s.mean_sq, mean_sq, rtol=1e-3, atol=1e-5)
        assert float(s.batch_size) == batch
    np.testing.assert_allclose(logits, exp_logits, rtol=1e-3, atol=1e-4)


def test_structure_and_batch_of_one(rng):
    cfg = tiny(d_attention=True)
    d = make_discriminator(cfg, rng)
    assert d.head.kernel.shape == (1, 32, 1) and d.head.bias is None
    assert d.fc.kernel.shape == (cfg.canvas_size // 2 ** 5, 1)
    assert d.convs[0].kernel.shape == (31, 2, 8)
    assert list(d.att) == [2] and d.att[2].name == "discriminator_attention_layer2"
    x = wave(cfg, 1, rng)
    assert d(x, x, d.reference(x, x)).shape == (1, 1)    # squeeze keeps the batch axis


def test_variables_trainable_and_not(rng):
    cfg = tiny(d_attention=True)
    d = make_discriminator(cfg, rng)
    non_trainable = {v.path.split("/", 1)[1] for v in d.non_trainable_variables}
    assert "noise_std" in non_trainable and float(d.noise_std.numpy()) == 0.0
    assert len(non_trainable) == 1 + len(cfg.d_num_fmaps) + 4     # noise_std, u per conv
    assert not any(v.path.endswith(("/u", "noise_std")) for v in d.trainable_variables)
    plain = make_discriminator(tiny(), rng)
    assert [v.path.split("/", 1)[1] for v in plain.non_trainable_variables] == ["noise_std"]


@pytest.mark.parametrize("channel", [0, 1])
def test_input_noise_on_both_channels_each_pass(channel, rng):
    """With the first conv reading one input channel only, noise_std > 0 still changes the
    reference statistics and the logits between calls; with noise_std = 0 nothing does."""
    cfg = tiny()
    d = make_discriminator(cfg, rng)
    kernel = d.convs[0].kernel.numpy()
    kernel[:, 1 - channel] = 0.0
    d.convs[0].kernel.assign(kernel)
    clean, noisy = wave(cfg, 2, rng), wave(cfg, 2, rng)

    def run():
        stats = d.reference(clean, noisy)
        return stats[0].mean.numpy(), d(clean, noisy, stats).numpy()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)
    d.noise_std.assign(0.5)
    for a, b in zip(run(), run()):
        assert not np.allclose(a, b)


def test_gradients_flow_through_reference_statistics(rng):
    cfg = tiny()
    d = make_discriminator(cfg, rng)
    clean, noisy, fake = (tf.constant(wave(cfg, 2, rng)) for _ in range(3))
    with tf.GradientTape() as tape:
        tape.watch(clean)
        logits = d(fake, noisy, d.reference(clean, noisy))
    assert np.abs(tape.gradient(logits, clean).numpy()).max() > 0


@pytest.mark.parametrize("d_attention,spectral_norm", [(False, False), (True, True), (True, False)])
def test_logits_of_a_step_equal_the_reference_pass_and_one_pass_each(d_attention, spectral_norm, rng, monkeypatch):
    """logits_of (one stacked pass without spectral norm, pass by pass with it) gives what reference()
    and a call() per candidate give, and the same gradients, which reach every D variable and, through the
    reference statistics, the real pair; attention without spectral norm (no named configuration has it)
    is stacked, attention applied as in the other passes. A leaky ReLU input within rounding of 0 takes
    slope 1 in one form and 0.3 in the other, a true difference of the gradients (about 1 draw in 100): the
    inputs are redrawn until both forms are on the same side of every kink, which a wrong stacking would not
    reach."""
    cfg = tiny(d_attention=d_attention)
    d = make_discriminator(cfg, rng)
    if not spectral_norm:
        for conv in [*d.convs, *(c for block in d.att.values() for c in block.convs)]:
            conv.sn = None
    assert d.power_iterations == spectral_norm
    u = [v.numpy() for v in d.non_trainable_variables]
    kink_inputs = []
    monkeypatch.setattr(discriminator, "leaky_relu", lambda x: kink_inputs.append(x) or leaky_relu(x))

    def both(fn):
        for v, value in zip(d.non_trainable_variables, u):  # each from the same power-iteration state
            v.assign(value)
        kink_inputs.clear()
        with tf.GradientTape() as tape:
            tape.watch(clean)
            logits = fn()
            loss = tf.reduce_sum(logits[0] ** 2) + tf.reduce_sum((logits[1] - 1) ** 2)
        layers = len(cfg.d_num_fmaps)  # each layer's inputs of all passes, stacked as logits_of stacks them
        sides = [np.concatenate(kink_inputs[i::layers]) > 0 for i in range(layers)]
        return logits, tape.gradient(loss, [clean, *d.trainable_variables]), sides

    def one_by_one():
        stats = d.reference(clean, noisy)
        return [d(x, noisy, stats) for x in (a, b)]

    for _ in range(10):
        clean, noisy, a, b = (tf.constant(wave(cfg, 3, rng)) for _ in range(4))
        stacked, grads, stacked_sides = both(lambda: d.logits_of(clean, [a, b], noisy))
        passes, expected, sides = both(one_by_one)
        np.testing.assert_allclose(np.concatenate(stacked), np.concatenate(passes), rtol=1e-5, atol=1e-6)
        if all(np.array_equal(x, y) for x, y in zip(stacked_sides, sides)):
            break
    else:
        pytest.fail("the two forms took different sides of a leaky ReLU in 10 draws")
    assert all(g is not None and np.abs(g.numpy()).max() > 0 for g in grads[:1] + grads[1:2])
    # one scale for all of D: the conv biases' gradients are rounding noise (VBN cancels the biases)
    scale = max(float(np.abs(e.numpy()).max()) for e in expected[1:])
    np.testing.assert_allclose(grads[0], expected[0], rtol=1e-4, atol=1e-5 * float(np.abs(expected[0]).max()))
    for g, e, v in zip(grads[1:], expected[1:], d.trainable_variables):
        np.testing.assert_allclose(g.numpy(), e.numpy(), atol=1e-5 * scale, err_msg=v.path)
