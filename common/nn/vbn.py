"""Virtual batch norm as the reference uses it (docs/design.md §4.1, §13 item 13).

Statistics are per channel over (batch, time): mean = E[x], mean_sq = E[x²]. The reference
pass normalises its input with its own statistics and hands them on; every later pass mixes
    mean = c E[x] + (1-c) mean_ref,   mean_sq = c E[x²] + (1-c) mean_sq_ref,   c = 1/(B_ref+1)
and normalises gamma (x - mean) / sqrt(1e-5 + mean_sq - mean²) + beta. Nothing is stopped:
gradients flow through the reference statistics.
"""
import collections

import keras
import tensorflow as tf

EPSILON = 1e-5

VBNStats = collections.namedtuple("VBNStats", ["mean", "mean_sq", "batch_size"])


def moments(x):
    """VBNStats of a [B, T, C] tensor (per channel over batch and time)."""
    return VBNStats(tf.reduce_mean(x, axis=(0, 1)), tf.reduce_mean(tf.square(x), axis=(0, 1)),
                    tf.cast(tf.shape(x)[0], x.dtype))


class VirtualBatchNorm(keras.layers.Layer):
    """gamma ~ N(1, 0.02), beta = 0, one per channel. Statistics and normalisation in float32 whatever the
    dtype policy (mixed precision): inputs are cast up, the output is float32."""

    def __init__(self, **kwargs):
        super().__init__(dtype="float32", **kwargs)

    def build(self, input_shape):
        channels = (input_shape[-1],)
        self.gamma = self.add_weight(name="gamma", shape=channels,
                                     initializer=keras.initializers.RandomNormal(1.0, 0.02))
        self.beta = self.add_weight(name="beta", shape=channels, initializer="zeros")

    def reference(self, x):
        """Normalise the reference batch with its own statistics; returns (output, stats)."""
        x = tf.cast(x, tf.float32)
        stats = moments(x)
        return self._normalize(x, stats.mean, stats.mean_sq), stats

    def call(self, x, ref):
        """Normalise x with its statistics mixed with the reference's (`ref`: VBNStats)."""
        x = tf.cast(x, tf.float32)
        own = moments(x)
        c = 1.0 / (ref.batch_size + 1.0)
        return self._normalize(x, c * own.mean + (1.0 - c) * ref.mean,
                               c * own.mean_sq + (1.0 - c) * ref.mean_sq)

    def grouped(self, x, groups: int):
        """x: `groups` equal batches stacked on the batch axis, the reference batch first. The reference is
        normalised as reference() does and every other batch as call() does with the reference's statistics:
        the passes of one step in one call."""
        x = tf.cast(x, tf.float32)
        shape = tf.shape(x)
        x = tf.reshape(x, [groups, -1, shape[1], x.shape[-1]])
        c = 1.0 / (tf.cast(tf.shape(x)[1], tf.float32) + 1.0)

        def mixed(stat):  # [groups, C]: the reference's own, then each batch's mixed with the reference's
            return tf.concat([stat[:1], c * stat[1:] + (1.0 - c) * stat[:1]], axis=0)[:, None, None, :]

        mean, mean_sq = (mixed(tf.reduce_mean(v, axis=(1, 2))) for v in (x, tf.square(x)))
        out = self._normalize(x, mean, mean_sq)
        return tf.reshape(out, shape)

    def _normalize(self, x, mean, mean_sq):
        scale = self.gamma * tf.math.rsqrt(EPSILON + mean_sq - tf.square(mean))
        return x * scale + (self.beta - mean * scale)
