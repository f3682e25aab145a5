"""Self-attention block of the reference (`sn_non_local_block_sim`, docs/design.md §5.1).

For F of shape [B, T, C]: spectrally normalised bias-free 1x1 convs (Glorot-uniform) give the
query θ (C/8), key φ (C/8) and value g (C/2); φ and g are max-pooled over time (4, stride 4).
A = softmax(θ φᵀ) over the T/4 keys (no 1/√d scaling), O = conv1x1(A g) back to C channels,
output F + σ O with the scalar σ initialised to 0 (the block is the identity at init). The softmax runs in
float32 under mixed precision. `kernels` ("native" or "tuned", common/nn/conv_kernels.py) is its convs' form.
"""
import keras
import tensorflow as tf

from common.config.model_config import ATT_POOL, ATT_REDUCTION
from common.nn.conv import Conv


def _max_pool(x):
    return tf.nn.max_pool1d(x, ATT_POOL, ATT_POOL, "VALID")


class SelfAttention(keras.layers.Layer):

    def __init__(self, channels, kernels="native", **kwargs):
        super().__init__(**kwargs)
        self.kernels = kernels

        def conv1x1(filters, name):
            return Conv(filters, kwidth=1, stride=1, use_bias=False, spectral_norm=True,
                        kernel_initializer="glorot_uniform", kernels=kernels, name=name)

        self.theta = conv1x1(channels // ATT_REDUCTION, "sn_conv_theta")
        self.phi = conv1x1(channels // ATT_REDUCTION, "sn_conv_phi")
        self.g = conv1x1(channels // 2, "sn_conv_g")
        self.out = conv1x1(channels, "sn_conv_attn")

    @property
    def convs(self):
        """The block's four convs."""
        return self.theta, self.phi, self.g, self.out

    def build(self, input_shape):
        reduced = tuple(input_shape[:-1]) + (input_shape[-1] // 2,)
        for conv in (self.theta, self.phi, self.g):
            conv.build(input_shape)
        self.out.build(reduced)
        self.sigma = self.add_weight(name="sigma_ratio", shape=(), initializer="zeros")

    def call(self, x, return_attention=False):
        """[B, T, C] -> [B, T, C]; with return_attention also the map A of shape [B, T, T/4]."""
        logits = tf.matmul(self.theta(x), _max_pool(self.phi(x)), transpose_b=True)
        attn = tf.nn.softmax(tf.cast(logits, tf.float32))  # float32 under mixed precision too
        y = x + self.sigma * self.out(tf.matmul(tf.cast(attn, x.dtype), _max_pool(self.g(x))))
        return (y, attn) if return_attention else y
