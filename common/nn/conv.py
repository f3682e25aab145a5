"""The reference's conv building blocks, shared by the generator, the discriminator and the
attention block: strided conv / transposed conv (SAME padding, truncated-normal(0.02) kernel,
zero bias, optional spectral norm), PReLU (alpha initialised to 0) and LeakyReLU(0.3).

Kernel layouts are Keras' (= TF1's with the dummy spatial axis dropped): conv [k, C_in, C_out],
transposed conv [k, C_out, C_in].

Each layer computes as the reference does unless it is built with kernels="tuned": tf.nn.conv1d /
conv1d_transpose with TensorFlow's own gradients, the kernel divided by sigma, PReLU as its expression. Tuned
(common/nn/conv_kernels.py), a conv computes its map in one of two equal forms, one matmul where the output is
short (at most MATMUL_MAX_LENGTH steps), else TensorFlow's conv op with a faster kernel gradient; sigma divides
the kernel or the output, whichever is smaller; PReLU has a written gradient. The models pass the form down to
every layer when they are built.
"""
import keras
import tensorflow as tf

from common.nn.conv_kernels import (MATMUL_MAX_LENGTH, conv_im2col, conv_same, deconv_col2im, deconv_same,
                                    is_tuned, prelu)
from common.nn.spectral_norm import SpectralNorm

KERNEL_STDDEV = 0.02  # the reference's truncated-normal kernel initialiser


class _Conv(keras.layers.Layer):
    """Kernel, optional bias and optional spectral norm; subclasses define the linear map in its forms
    (TensorFlow's op; tuned, also the matmul form and the tf.nn form with a written kernel gradient) and the
    output length. `kernels`: "native" or "tuned" (common/nn/conv_kernels.py)."""

    def __init__(self, filters, kwidth=31, stride=2, use_bias=True, spectral_norm=False, kernel_initializer=None,
                 kernels="native", **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kwidth, self.stride, self.use_bias = filters, kwidth, stride, use_bias
        self.kernel_initializer = kernel_initializer  # a name; None: the reference's truncated normal
        self.kernels, self.tuned = kernels, is_tuned(kernels)
        self.sn = SpectralNorm(kernels=kernels, name="sn") if spectral_norm else None

    def build(self, input_shape):
        # An initialiser of its own per layer: a Keras initialiser draws its seed once, so a shared instance
        # would give every kernel of a shape the same values (DSEGAN's generators identical) whatever the seed.
        init = (keras.initializers.get(self.kernel_initializer) if self.kernel_initializer
                else keras.initializers.TruncatedNormal(stddev=KERNEL_STDDEV))
        self.kernel = self.add_weight(name="kernel", shape=self._kernel_shape(input_shape[-1]),
                                      initializer=init, autocast=False)  # call() casts
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
                     if self.use_bias else None)
        if self.sn is not None:
            self.sn.build(self.kernel.shape)

    def call(self, x):
        kernel = tf.convert_to_tensor(self.kernel)  # float32 under any precision policy
        if self.tuned:
            y = self._tuned_call(x, kernel)
        else:
            if self.sn is not None:
                kernel = kernel / self.sn(kernel)
            y = self._native_form(x, tf.cast(kernel, x.dtype))
        if self.bias is not None:
            y = tf.nn.bias_add(y, self.bias)
        return y

    def _tuned_call(self, x, kernel):
        """The map in the tuned forms (common/nn/conv_kernels.py): the matmul form where the output is short,
        else the tf.nn form with the written kernel gradient. The conv is linear, so sigma divides the kernel
        or the output, whichever is smaller (an unknown size: the kernel)."""
        length_out = self.compute_output_shape(x.shape)[1]
        sigma = None
        if self.sn is not None:
            sigma = self.sn(kernel)
            outputs = None if None in (x.shape[0], length_out) else x.shape[0] * length_out * self.filters
            if outputs is None or kernel.shape.num_elements() <= outputs:
                kernel, sigma = kernel / sigma, None
        kernel = tf.cast(kernel, x.dtype)
        if length_out is not None and length_out <= MATMUL_MAX_LENGTH:
            y = self._matmul_form(x, kernel)
        else:
            y = self._tf_form(x, kernel)
        return y if sigma is None else y / tf.cast(sigma, y.dtype)

    def compute_output_shape(self, input_shape):
        length = input_shape[1]
        return input_shape[0], None if length is None else self._length_out(length), self.filters


class Conv(_Conv):
    """1-D conv with stride `stride`, SAME padding: [B, T, C_in] -> [B, ceil(T/stride), filters]."""

    def _kernel_shape(self, cin):
        return (self.kwidth, cin, self.filters)

    def _length_out(self, length):
        return -(-length // self.stride)

    def _matmul_form(self, x, kernel):
        return conv_im2col(x, kernel, self.stride)

    def _tf_form(self, x, kernel):
        return conv_same(x, kernel, self.stride)

    def _native_form(self, x, kernel):
        return tf.nn.conv1d(x, kernel, self.stride, "SAME")


class Deconv(_Conv):
    """1-D transposed conv, SAME padding (TF's alignment): [B, T, C_in] -> [B, T*stride, filters]."""

    def _kernel_shape(self, cin):
        return (self.kwidth, self.filters, cin)

    def _length_out(self, length):
        return length * self.stride

    def _matmul_form(self, x, kernel):
        return deconv_col2im(x, kernel, self.stride)

    def _tf_form(self, x, kernel):
        return deconv_same(x, kernel, self.stride)

    def _native_form(self, x, kernel):
        shape = tf.shape(x)
        return tf.nn.conv1d_transpose(x, kernel, tf.stack([shape[0], shape[1] * self.stride, self.filters]),
                                      self.stride, "SAME")


class PReLU(keras.layers.Layer):
    """relu(x) + alpha * min(x, 0), one alpha per channel, initialised to 0; tuned (`kernels`), with the
    written gradient of common/nn/conv_kernels.py's prelu."""

    def __init__(self, kernels="native", **kwargs):
        super().__init__(**kwargs)
        self.kernels, self.tuned = kernels, is_tuned(kernels)

    def build(self, input_shape):
        self.alpha = self.add_weight(name="alpha", shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        alpha = tf.cast(self.alpha, x.dtype)
        if self.tuned:
            return prelu(x, alpha)
        return tf.nn.relu(x) + alpha * tf.minimum(x, 0.0)


def leaky_relu(x):
    """The reference's LeakyReLU: max(x, 0.3 x)."""
    return tf.nn.leaky_relu(x, alpha=0.3)
