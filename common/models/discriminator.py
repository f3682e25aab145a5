"""The discriminator (docs/design.md §4): [candidate, noisy] -> input noise -> blocks
`d_block_{i}` (strided conv) + `d_vbn_{i}` (virtual batch norm) + LeakyReLU(0.3) -> bias-free
1x1 conv `logits_conv` -> squeeze -> Dense `fully_connected` -> one logit (no sigmoid).

With cfg.d_attention (SASEGAN, §4.2) every block conv is spectrally normalised and a
self-attention block `discriminator_attention_layer{k}` follows block k for k in att_layer_ind.

VBN uses the current real pair as reference: `reference(clean, noisy)` runs the reference pass
(each block normalised with its own statistics) and returns the per-block statistics, which
every `call(candidate, noisy, reference_stats)` of the same step mixes in (§4.1); `logits_of` does
both for the candidates of a training step.
"""
import keras
import tensorflow as tf

from common.nn.attention import SelfAttention
from common.nn.conv import Conv, leaky_relu
from common.nn.vbn import VirtualBatchNorm


class Discriminator(keras.Model):

    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        fmaps = cfg.d_num_fmaps
        self.convs = [Conv(c, kwidth=cfg.kwidth, stride=2, use_bias=cfg.bias_D_conv,
                           spectral_norm=cfg.d_attention, name=f"d_block_{i}")
                      for i, c in enumerate(fmaps)]
        self.vbns = [VirtualBatchNorm(name=f"d_vbn_{i}") for i in range(len(fmaps))]
        self.att = ({k: SelfAttention(fmaps[k], name=f"discriminator_attention_layer{k}")
                     for k in cfg.att_layer_ind} if cfg.d_attention else {})
        self.head = Conv(1, kwidth=1, stride=1, use_bias=False, name="logits_conv")
        self.fc = keras.layers.Dense(1, kernel_initializer="glorot_uniform", name="fully_connected")
        # tf.train.Checkpoint follows attributes, not Keras' tracked lists and dicts
        for layer in [*self.convs, *self.vbns, *self.att.values()]:
            setattr(self, layer.name, layer)
        self.noise_std = self.add_weight(name="noise_std", shape=(), initializer="zeros",
                                         trainable=False)

    def build(self, input_shape):
        """Creates every variable from the candidate's shape [B, T, 1] (no forward pass)."""
        batch, length, channels = input_shape
        channels *= 2
        for i, conv in enumerate(self.convs):
            conv.build((batch, length, channels))
            length, channels = length // 2, conv.filters
            self.vbns[i].build((batch, length, channels))
            if i in self.att:
                self.att[i].build((batch, length, channels))
        self.head.build((batch, length, channels))
        self.fc.build((batch, length))

    def _input(self, candidate, noisy):
        x = tf.concat([tf.cast(candidate, self.compute_dtype), tf.cast(noisy, self.compute_dtype)], axis=-1)
        return x + tf.cast(self.noise_std, x.dtype) * tf.random.normal(tf.shape(x), dtype=x.dtype)

    def _trunk(self, h, reference_stats=None):
        """The blocks; without reference_stats this is the reference pass and also returns
        the per-block VBNStats."""
        stats = []
        for i, conv in enumerate(self.convs):
            h = conv(h)
            if reference_stats is None:
                h, s = self.vbns[i].reference(h)
                stats.append(s)
            else:
                h = self.vbns[i](h, reference_stats[i])
            h = leaky_relu(h)
            if i in self.att:
                h = self.att[i](h)
        return h, stats

    def reference(self, clean, noisy):
        """Per-block VBNStats of the real pair (runs the reference pass, no logits)."""
        if not self.built:
            self.build(clean.shape)
        return self._trunk(self._input(clean, noisy))[1]

    def logits_of(self, clean, candidates, noisy):
        """The logits of each candidate [B, T, 1] with the real pair (clean, noisy) as VBN reference: what
        reference() and a call() per candidate give. Without spectral norm (every D but SASEGAN's) that is
        one pass over the stacked batches: at small batches the deep layers are limited by reading their
        weights, once per pass. With it, pass by pass, since each pass takes its own power iteration (§5.2)."""
        if self.cfg.d_attention:
            reference = self.reference(clean, noisy)
            return [self(x, noisy, reference) for x in candidates]
        if not self.built:
            self.build(clean.shape)
        groups = 1 + len(candidates)
        h = tf.concat([self._input(x, noisy) for x in (clean, *candidates)], axis=0)
        for i, conv in enumerate(self.convs):
            h = leaky_relu(self.vbns[i].grouped(conv(h), groups))
        return tf.split(self.fc(tf.squeeze(self.head(h), axis=-1)), groups)[1:]

    def call(self, candidate, noisy, reference_stats):
        """candidate, noisy [B, T, 1] -> logits [B, 1]."""
        h, _ = self._trunk(self._input(candidate, noisy), reference_stats)
        return self.fc(tf.squeeze(self.head(h), axis=-1))
