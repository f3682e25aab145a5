"""One SEGAN generator (docs/design.md §3), optionally with self-attention (§5.3).

Encoder: L strided convs `enc_{i}`; the pre-activation output of layers 0..L-2 is kept as a
skip, then PReLU `enc_prelu_{i}` (or LeakyReLU 0.3). z ~ N(0, 1) of cfg.z_shape(B) is
concatenated in front of the code. Decoder: L transposed convs `dec_{j}`; for j < L-1
activation `dec_prelu_{j}` then concat [h, skip of encoder layer L-2-j]; the last layer ends in
tanh. With attention, blocks `encoder_attention_layer{k}` (after the activation of encoder
layer k) and `decoder_attention_layer{L-2-k}` (after that decoder layer's concat) are added and
every conv/deconv is spectrally normalised. `kernels` ("native" or "tuned", common/nn/conv_kernels.py) is the
form of every layer.
"""
import keras
import tensorflow as tf

from common.nn.attention import SelfAttention
from common.models.tracking import track
from common.nn.conv import Conv, Deconv, PReLU, leaky_relu


def _build(layers, shape):
    for layer in layers:
        if isinstance(layer, keras.layers.Layer):
            layer.build(shape)


class Generator(keras.Model):

    def __init__(self, cfg, attention=None, kernels="native", **kwargs):
        """`attention` defaults to cfg.self_attention (the DSEGAN chain sets it per generator)."""
        super().__init__(**kwargs)
        self.cfg, self.kernels = cfg, kernels
        self.attention = cfg.self_attention if attention is None else attention
        enc, dec, last = cfg.g_enc_depths, cfg.g_dec_depths, cfg.num_layers - 1
        prelu = cfg.g_nl == "prelu"
        conv_args = dict(kwidth=cfg.kwidth, stride=2, spectral_norm=self.attention, kernels=kernels)
        self.enc = [Conv(c, use_bias=cfg.bias_downconv, name=f"enc_{i}", **conv_args)
                    for i, c in enumerate(enc)]
        self.dec = [Deconv(c, use_bias=cfg.bias_deconv, name=f"dec_{j}", **conv_args)
                    for j, c in enumerate(dec)]
        self.enc_act = [PReLU(kernels=kernels, name=f"enc_prelu_{i}") if prelu else leaky_relu
                        for i in range(len(enc))]
        self.dec_act = [PReLU(kernels=kernels, name=f"dec_prelu_{j}") if prelu else leaky_relu
                        for j in range(last)]
        att_enc = cfg.att_layer_ind if self.attention else ()
        att_dec = cfg.dec_att_layer_ind if self.attention else ()
        self.enc_att = {k: SelfAttention(enc[k], kernels=kernels, name=f"encoder_attention_layer{k}")
                        for k in att_enc}
        self.dec_att = {j: SelfAttention(2 * dec[j], kernels=kernels, name=f"decoder_attention_layer{j}")
                        for j in att_dec}
        track(self, [*self.enc, *self.dec, *self.enc_act, *self.dec_act, *self.enc_att.values(),
                     *self.dec_att.values()])

    def build(self, input_shape):
        """Creates every variable from the input shape alone (no forward pass needed)."""
        last = self.cfg.num_layers - 1
        batch, length, channels = input_shape
        for i, conv in enumerate(self.enc):
            conv.build((batch, length, channels))
            length, channels = length // 2, conv.filters
            _build([self.enc_act[i], self.enc_att.get(i)], (batch, length, channels))
        channels += self.cfg.z_shape(batch)[-1]
        for j, deconv in enumerate(self.dec):
            deconv.build((batch, length, channels))
            length, channels = length * 2, deconv.filters
            if j < last:
                _build([self.dec_act[j]], (batch, length, channels))
                channels += self.cfg.g_enc_depths[last - 1 - j]
                _build([self.dec_att.get(j)], (batch, length, channels))

    def call(self, x, z=None, return_attention=False):
        """x [B, T, 1] -> [B, T, 1]. z None draws a fresh N(0, 1) sample; with
        return_attention the attention maps are returned too, as {layer name: [B, T, T/4]}."""
        last, maps = self.cfg.num_layers - 1, {}

        def attend(block, h):
            if block is None:
                return h
            h, maps[block.name] = block(h, return_attention=True)
            return h

        skips, h = [], x
        for i, conv in enumerate(self.enc):
            h = conv(h)
            if i < last:
                skips.append(h)
            h = attend(self.enc_att.get(i), self.enc_act[i](h))
        if z is None:
            z = tf.random.normal(self.cfg.z_shape(tf.shape(x)[0]), dtype=h.dtype)
        h = tf.concat([z, h], axis=-1)
        for j, deconv in enumerate(self.dec):
            h = deconv(h)
            if j < last:
                h = tf.concat([self.dec_act[j](h), skips[last - 1 - j]], axis=-1)
                h = attend(self.dec_att.get(j), h)
        h = tf.tanh(h)
        return (h, maps) if return_attention else h
