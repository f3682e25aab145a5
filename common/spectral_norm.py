"""Spectral normalisation as in the reference's `spectral_normed_weight` (SPEC Part A §5.2).

The kernel is viewed as the matrix W = reshape(kernel, [-1, last dim]) (for a transposed conv,
whose kernel is [k, C_out, C_in], the last dim is C_in). A persistent non-trainable u of shape
[1, last dim] (truncated normal, std 1) takes one power iteration per forward call:
    v = l2n(u Wᵀ),  u' = l2n(v W),  sigma = v W u'ᵀ,  u <- u'
with l2n(a) = a / (||a|| + 1e-12) and no stop-gradient. The normalised kernel is kernel / sigma;
since the conv is linear the callers divide the (usually much smaller) conv output by sigma
instead, which is the same function with the same gradients. Under mixed precision the power
iteration runs in float32 (the layer's dtype) and sigma is returned in the caller's compute dtype.
"""
import contextlib

import keras
import tensorflow as tf

_EPS = 1e-12
_pending = None  # while updates are deferred: {id(u): (u, its latest value)}


@contextlib.contextmanager
def deferred_updates():
    """Within: each power iteration's u' is kept as u's latest value instead of assigned (the next
    iteration on the same kernel starts from it, as after an assignment), for the caller to assign: an
    XLA-compiled function cannot hold the replica synchronisation an assignment to u needs. Yields
    {id(u): (u, latest value)}."""
    global _pending
    outer, _pending = _pending, {}
    try:
        yield _pending
    finally:
        _pending = outer


def _l2n(a):
    return a / (tf.sqrt(tf.reduce_sum(tf.square(a))) + _EPS)


class SpectralNorm(keras.layers.Layer):
    """Owns u for one kernel; `call(kernel)` runs one power iteration, stores u' in u and
    returns the estimate sigma of the kernel's largest singular value."""

    def __init__(self, dtype="float32", **kwargs):
        super().__init__(dtype=dtype, **kwargs)  # the power iteration in float32 whatever the policy

    def build(self, kernel_shape):
        # ONLY_FIRST_REPLICA makes the assignment legal in a MirroredStrategy replica context.
        self.u = self.add_weight(name="u", shape=(1, kernel_shape[-1]),
                                 initializer=keras.initializers.TruncatedNormal(stddev=1.0),
                                 trainable=False, aggregation="only_first_replica")

    def call(self, kernel):
        w = tf.reshape(tf.cast(kernel, self.compute_dtype), [-1, kernel.shape[-1]])
        if _pending is None or id(self.u) not in _pending:
            u = self.u
        else:  # the value an assignment would have left, read like a variable: no gradient through it
            u = tf.stop_gradient(_pending[id(self.u)][1])
        v = _l2n(tf.matmul(u, w, transpose_b=True))
        vw = tf.matmul(v, w)
        u = _l2n(vw)
        if _pending is None:
            self.u.assign(u)
        else:
            _pending[id(self.u)] = (self.u, u)
        return tf.reduce_sum(vw * u)

