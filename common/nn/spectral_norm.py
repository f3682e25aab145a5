"""Spectral normalisation as in the reference's `spectral_normed_weight` (docs/design.md §5.2).

The kernel is viewed as the matrix W = reshape(kernel, [-1, last dim]) (for a transposed conv,
whose kernel is [k, C_out, C_in], the last dim is C_in). A persistent non-trainable u of shape
[1, last dim] (truncated normal, std 1) takes one power iteration per forward call:
    v = l2n(u Wᵀ),  u' = l2n(v W),  sigma = v W u'ᵀ,  u <- u'
with l2n(a) = a / (||a|| + 1e-12) and no stop-gradient (u itself is a variable: no gradient).
By default (kernels="native") the iteration is differentiated automatically. Built with kernels="tuned"
(common/nn/conv_kernels.py), the gradient of sigma with respect to W is written out (`_power_iteration`): it
has rank two, v^T g_b + g_a^T u, and is formed by one [m, 2] x [2, n] product, where automatic differentiation
forms the two outer products apart and adds them, two more passes over a kernel-sized tensor at the deep
layers. The normalised kernel is kernel / sigma; since the conv is linear a caller may divide the conv output by
sigma instead, the same function with the same gradients: common/nn/conv.py's tuned layers divide whichever of
the two is smaller. Under mixed precision the power
iteration runs in float32 (the layer's dtype) and sigma is returned in the caller's compute dtype.
"""
import contextlib

import keras
import tensorflow as tf

from common.nn.conv_kernels import is_tuned

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


class SpectralNorm(keras.layers.Layer):
    """Owns u for one kernel; `call(kernel)` runs one power iteration, stores u' in u and
    returns the estimate sigma of the kernel's largest singular value. `kernels`: "native" (automatic
    gradient) or "tuned" (written gradient)."""

    def __init__(self, dtype="float32", kernels="native", **kwargs):
        super().__init__(dtype=dtype, **kwargs)  # the power iteration in float32 whatever the policy
        self.kernels = kernels
        self._iteration = _power_iteration if is_tuned(kernels) else _power_iteration_native

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
            u = _pending[id(self.u)][1]
        sigma, u = self._iteration(w, tf.convert_to_tensor(u))
        if _pending is None:
            self.u.assign(u)
        else:
            _pending[id(self.u)] = (self.u, u)
        return sigma


def _norm(a):
    return tf.sqrt(tf.reduce_sum(tf.square(a)))


def _power_iteration_native(w, u):
    """`_power_iteration` differentiated automatically (the native kernel forms, the default)."""
    a = tf.matmul(tf.stop_gradient(u), w, transpose_b=True)
    v = a / (_norm(a) + _EPS)
    b = tf.matmul(v, w)
    u_new = b / (_norm(b) + _EPS)
    return tf.reduce_sum(b * u_new), tf.stop_gradient(u_new)


@tf.custom_gradient
def _power_iteration(w, u):
    """(sigma, u') of W [m, n] from u [1, n]; the gradient flows into W only."""
    a = tf.matmul(u, w, transpose_b=True)
    norm_a = _norm(a)
    v = a / (norm_a + _EPS)
    b = tf.matmul(v, w)
    norm_b = _norm(b)
    u_new = b / (norm_b + _EPS)
    sigma = tf.reduce_sum(b * u_new)  # = |b|^2 / (|b| + eps)

    def gradient(d_sigma, d_u_new):
        del d_u_new  # u' is assigned to u or read back with no gradient, never differentiated
        g_b = d_sigma * b * (2.0 / (norm_b + _EPS) - norm_b / tf.square(norm_b + _EPS))
        g_v = tf.matmul(g_b, w, transpose_b=True)
        g_a = (g_v / (norm_a + _EPS)
               - tf.reduce_sum(g_v * a) * a / (norm_a * tf.square(norm_a + _EPS)))
        d_w = tf.matmul(tf.concat([v, g_a], 0), tf.concat([g_b, u], 0), transpose_a=True)
        return d_w, tf.zeros_like(u)

    return (sigma, u_new), gradient
