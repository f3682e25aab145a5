"""One generator: forward against the TF1-style reference, z handling, attention placement,
layer names and variables (tiny configurations; full-size shapes are in test_variants)."""
import numpy as np
import pytest
import tensorflow as tf

from common.config.model_config import ModelConfig
from common.config.named_configs import tiny
from common.models.generator import Generator
from common.nn.conv_kernels import FORMS
from tests import tf1_reference as ref

def make_generator(cfg, rng=None, kernels="native"):
    """A built generator; biases, PReLU alphas and attention gains made non-zero so that every
    term of the forward pass is exercised."""
    g = Generator(cfg, kernels=kernels)
    g.build((None, cfg.canvas_size, 1))
    if rng is not None:
        for v in g.trainable_variables:
            name = v.path.rsplit("/", 1)[-1]
            if name in ("bias", "alpha", "sigma_ratio"):
                v.assign(0.3 * rng.standard_normal(v.shape))
    return g


def inputs(cfg, rng, batch=2):
    x = rng.uniform(-1, 1, (batch, cfg.canvas_size, 1)).astype(np.float32)
    return x, rng.standard_normal(cfg.z_shape(batch)).astype(np.float32)


@pytest.mark.parametrize("overrides", [
    dict(),
    dict(g_nl="leaky", bias_downconv=False),
    dict(self_attention=True),
    dict(self_attention=True, att_layer_ind=(0, 3, 4), bias_deconv=False),
])
@pytest.mark.parametrize("kernels", FORMS)
def test_forward_matches_tf1_reference(overrides, kernels, rng):
    cfg = tiny(**overrides)
    g = make_generator(cfg, rng, kernels)
    x, z = inputs(cfg, rng)
    weights = ref.Weights(g)               # taken before the call: same u for the SN step
    expected, expected_maps = ref.generator(x.astype(np.float64), z.astype(np.float64), weights, cfg)
    y, maps = g(x, z=z, return_attention=True)
    assert y.shape == x.shape
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=2e-5)
    assert set(maps) == set(expected_maps)
    for name, attn in maps.items():
        np.testing.assert_allclose(attn, expected_maps[name], rtol=1e-3, atol=1e-5)


def test_decoder_attention_mirrors_encoder_layer(rng):
    """Encoder layer k pairs with decoder layer L-2-k (9-k at full size), after the skip concat
    (2C channels, same time length); the bottleneck k = L-1 has no decoder block."""
    assert ModelConfig(self_attention=True).dec_att_layer_ind == (4,)
    assert ModelConfig(self_attention=True, att_layer_ind=(0, 9, 10)).dec_att_layer_ind == (9, 0)
    cfg = tiny(self_attention=True, att_layer_ind=(0, 2, 4))
    g = make_generator(cfg)
    x, _ = inputs(cfg, rng, batch=1)
    _, maps = g(x, return_attention=True)
    lengths = {name: attn.shape[1] for name, attn in maps.items()}
    assert lengths == {"encoder_attention_layer0": 256, "encoder_attention_layer2": 64,
                       "encoder_attention_layer4": 16,
                       "decoder_attention_layer3": 256, "decoder_attention_layer1": 64}
    for k, j in ((0, 3), (2, 1)):
        assert g.dec_att[j].theta.kernel.shape[1] == 2 * g.enc_att[k].theta.kernel.shape[1]


def test_z_is_concatenated_first(rng):
    """Zeroing the first deconv's weights on the first z-depth input channels removes z."""
    cfg = tiny()
    g = make_generator(cfg, rng)
    x, z = inputs(cfg, rng)
    kernel = g.dec[0].kernel.numpy()
    kernel[:, :, :cfg.z_shape(1)[-1]] = 0.0
    g.dec[0].kernel.assign(kernel)
    np.testing.assert_allclose(g(x, z=z), g(x, z=np.zeros_like(z)), atol=1e-6)


def test_z_fresh_per_call_unless_given(rng):
    cfg = tiny()
    g = make_generator(cfg, rng)
    x, z = inputs(cfg, rng)
    assert not np.allclose(g(x), g(x))
    np.testing.assert_array_equal(g(x, z=z), g(x, z=z))


def test_layer_names_and_variables():
    cfg = tiny(self_attention=True)
    g = make_generator(cfg)
    L = cfg.num_layers
    paths = {v.path.split("/", 1)[1] for v in g.variables}
    expected = ({f"enc_{i}/{n}" for i in range(L) for n in ("kernel", "bias", "sn/u")}
                | {f"dec_{j}/{n}" for j in range(L) for n in ("kernel", "bias", "sn/u")}
                | {f"enc_prelu_{i}/alpha" for i in range(L)}
                | {f"dec_prelu_{j}/alpha" for j in range(L - 1)}
                | {f"{block}/{conv}/{n}" for block in ("encoder_attention_layer2",
                                                       "decoder_attention_layer1")
                   for conv in ("sn_conv_theta", "sn_conv_phi", "sn_conv_g", "sn_conv_attn")
                   for n in ("kernel", "sn/u")}
                | {"encoder_attention_layer2/sigma_ratio", "decoder_attention_layer1/sigma_ratio"})
    assert paths == expected
    assert all(v.path.endswith("/u") for v in g.non_trainable_variables)
    assert len(g.non_trainable_variables) == 2 * L + 8
    assert g.enc[0].kernel.shape == (31, 1, 8) and g.dec[0].kernel.shape == (31, 16, 64)


def test_no_spectral_norm_without_attention():
    g = make_generator(tiny())
    assert not g.non_trainable_variables and not g.enc_att and not g.dec_att


@pytest.mark.parametrize("kernels", FORMS)
def test_gradients_reach_every_variable(kernels, rng):
    cfg = tiny(self_attention=True)
    g = make_generator(cfg, rng, kernels)
    x, z = inputs(cfg, rng)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(g(x, z=z) - 0.1))
    grads = tape.gradient(loss, g.trainable_variables)
    assert all(gr is not None and np.abs(gr.numpy()).max() > 0 for gr in grads)
