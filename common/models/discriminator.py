"""The discriminator (docs/design.md §4): [candidate, noisy] -> input noise -> blocks
`d_block_{i}` (strided conv) + `d_vbn_{i}` (virtual batch norm) + LeakyReLU(0.3) -> bias-free
1x1 conv `logits_conv` -> squeeze -> Dense `fully_connected` -> one logit (no sigmoid).

With cfg.d_attention (SASEGAN, §4.2) every block conv is spectrally normalised and a
self-attention block `discriminator_attention_layer{k}` follows block k for k in att_layer_ind.

VBN uses the current real pair as reference: `reference(clean, noisy)` runs the reference pass
(each block normalised with its own statistics) and returns the per-block statistics, which
every `call(candidate, noisy, reference_stats)` of the same step mixes in (§4.1); `logits_of` does
both for the candidates of a training step. All three run the one forward path, `_forward`, which differs
between them only in how each block's VBN normalises. `kernels` ("native" or "tuned",
common/nn/conv_kernels.py) is the form of every layer.
"""
import keras
import tensorflow as tf

from common.models.tracking import track
from common.nn.attention import SelfAttention
from common.nn.conv import Conv, leaky_relu
from common.nn.vbn import VirtualBatchNorm


class Discriminator(keras.Model):

    def __init__(self, cfg, kernels="native", **kwargs):
        super().__init__(**kwargs)
        self.cfg, self.kernels = cfg, kernels
        fmaps = cfg.d_num_fmaps
        self.convs = [Conv(c, kwidth=cfg.kwidth, stride=2, use_bias=cfg.bias_D_conv,
                           spectral_norm=cfg.d_attention, kernels=kernels, name=f"d_block_{i}")
                      for i, c in enumerate(fmaps)]
        self.vbns = [VirtualBatchNorm(name=f"d_vbn_{i}") for i in range(len(fmaps))]
        self.att = ({k: SelfAttention(fmaps[k], kernels=kernels, name=f"discriminator_attention_layer{k}")
                     for k in cfg.att_layer_ind} if cfg.d_attention else {})
        self.head = Conv(1, kwidth=1, stride=1, use_bias=False, kernels=kernels, name="logits_conv")
        self.fc = keras.layers.Dense(1, kernel_initializer="glorot_uniform", name="fully_connected")
        track(self, [*self.convs, *self.vbns, *self.att.values()])
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

    @property
    def power_iterations(self) -> bool:
        """Whether a pass takes spectral norm's power iterations (§5.2): passes stacked into one would take one
        iteration where the reference takes one per pass."""
        convs = [*self.convs, self.head, *(c for block in self.att.values() for c in block.convs)]
        return any(conv.sn is not None for conv in convs)

    def _input(self, candidate, noisy):
        x = tf.concat([tf.cast(candidate, self.compute_dtype), tf.cast(noisy, self.compute_dtype)], axis=-1)
        return x + tf.cast(self.noise_std, x.dtype) * tf.random.normal(tf.shape(x), dtype=x.dtype)

    def _forward(self, h, normalize, logits=True):
        """The blocks (conv, VBN `normalize(i, h)` of block i, LeakyReLU, attention where placed), then with
        `logits` the head: the logits [B, 1]; without, the blocks' output."""
        for i, conv in enumerate(self.convs):
            h = leaky_relu(normalize(i, conv(h)))
            if i in self.att:
                h = self.att[i](h)
        return self.fc(tf.squeeze(self.head(h), axis=-1)) if logits else h

    def reference(self, clean, noisy):
        """Per-block VBNStats of the real pair (runs the reference pass, no logits)."""
        if not self.built:
            self.build(clean.shape)
        stats = []

        def own_statistics(i, h):
            h, s = self.vbns[i].reference(h)
            stats.append(s)
            return h

        self._forward(self._input(clean, noisy), own_statistics, logits=False)
        return stats

    def logits_of(self, clean, candidates, noisy):
        """The logits of each candidate [B, T, 1] with the real pair (clean, noisy) as VBN reference: what
        reference() and a call() per candidate give. Without spectral norm (every D but SASEGAN's) that is
        one pass over the stacked batches: at small batches the deep layers are limited by reading their
        weights, once per pass. With it, pass by pass, since each pass takes its own power iteration (§5.2)."""
        if self.power_iterations:
            reference = self.reference(clean, noisy)
            return [self(x, noisy, reference) for x in candidates]
        if not self.built:
            self.build(clean.shape)
        groups = 1 + len(candidates)
        h = tf.concat([self._input(x, noisy) for x in (clean, *candidates)], axis=0)
        return tf.split(self._forward(h, lambda i, h: self.vbns[i].grouped(h, groups)), groups)[1:]

    def call(self, candidate, noisy, reference_stats):
        """candidate, noisy [B, T, 1] -> logits [B, 1]."""
        return self._forward(self._input(candidate, noisy), lambda i, h: self.vbns[i](h, reference_stats[i]))
