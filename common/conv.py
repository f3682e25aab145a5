"""The reference's conv building blocks, shared by the generator, the discriminator and the
attention block: strided conv / transposed conv (SAME padding, truncated-normal(0.02) kernel,
zero bias, optional spectral norm), PReLU (alpha initialised to 0) and LeakyReLU(0.3).

Kernel layouts are Keras' (= TF1's with the dummy spatial axis dropped): conv [k, C_in, C_out],
transposed conv [k, C_out, C_in] (SPEC Part A §13 item 20).

Formulation: tf.nn.conv1d / conv1d_transpose (which TF runs as 2-D ops on [B, 1, T, C]; about
2x faster on CPU than the reference's [B, T, 1, C] layout). Where the time axis is short and the
channels many (the deepest layers, which hold most of the weights) TF's conv kernels are slow,
and an explicit im2col / col2im around one matmul is up to 3x faster forward and backward (batch 8
and 50 measured); layers with at most MATMUL_MAX_LENGTH output steps use that. Both forms give
TF's SAME alignment.

The kernel gradient of the tf.nn form is computed by `kernel_gradient`, the same sum run as a forward
conv: at batch 4 oneDNN's filter-gradient kernel reached 3-59 % of the fp32 matmul rate at these layers'
shapes and its forward conv 5-72 % on the same sums, 1.7x faster over all of them
(scripts/bench/conv_gradient.py measures both).
"""
import keras
import tensorflow as tf

from common.spectral_norm import SpectralNorm

REFERENCE_INIT = keras.initializers.TruncatedNormal(stddev=0.02)
MATMUL_MAX_LENGTH = 32


def _same_pad(length_in, length_out, kwidth, stride):
    """TF's SAME padding (left, right) of a conv mapping length_in to length_out."""
    total = max((length_out - 1) * stride + kwidth - length_in, 0)
    return total // 2, total - total // 2


def conv_im2col(x, kernel, stride):
    """SAME strided conv as frames of the padded input times the [k*C_in, C_out] kernel."""
    kwidth, cin, cout = kernel.shape
    length = x.shape[1]
    length_out = -(-length // stride)
    x = tf.pad(x, [[0, 0], _same_pad(length, length_out, kwidth, stride), [0, 0]])
    frames = tf.signal.frame(x, kwidth, stride, axis=1)               # [B, T_out, k, C_in]
    y = tf.matmul(tf.reshape(frames, [-1, kwidth * cin]), tf.reshape(kernel, [kwidth * cin, cout]))
    return tf.reshape(y, [-1, length_out, cout])


def deconv_col2im(x, kernel, stride):
    """SAME transposed conv: every input step times the kernel gives k output taps
    [B, T, k, C_out], overlap-added with hop `stride` and cropped to TF's alignment."""
    kwidth, cout, _ = kernel.shape
    length = x.shape[1]
    hops = -(-kwidth // stride)                                        # taps per output phase
    taps = tf.einsum("bti,koi->btko", x, kernel)
    taps = tf.pad(taps, [[0, 0], [0, 0], [0, hops * stride - kwidth], [0, 0]])
    taps = tf.reshape(taps, [-1, length, hops, stride, cout])
    # tap j*stride + r of step t lands at stride*(t + j) + r before cropping
    full = tf.add_n([tf.pad(taps[:, :, j], [[0, 0], [j, hops - 1 - j], [0, 0], [0, 0]])
                     for j in range(hops)])
    full = tf.reshape(full, [-1, stride * (length + hops - 1), cout])
    left = _same_pad(stride * length, length, kwidth, stride)[0]
    return full[:, left:left + stride * length]


def kernel_gradient(inputs, out_grad, kwidth, stride):
    """Gradient [k, C_in, C_out] of the kernel of the SAME conv of `inputs` [B, T, C_in] whose
    output has gradient `out_grad` [B, T_out, C_out]: sum over b, t of padded_inputs[b, stride*t + j]
    times out_grad[b, t], as a VALID conv of the inputs (batch as channels) with out_grad as a
    filter of T_out taps dilated by `stride`."""
    length, length_out = inputs.shape[1], out_grad.shape[1]
    span = (length_out - 1) * stride + kwidth
    padded = tf.pad(inputs, [[0, 0], _same_pad(length, length_out, kwidth, stride), [0, 0]])
    signal = tf.transpose(padded[:, :span], [2, 1, 0])                # [C_in, span, B]
    taps = tf.transpose(out_grad, [1, 0, 2])                           # [T_out, B, C_out]
    grad = tf.nn.conv1d(signal, taps, 1, "VALID", dilations=stride)   # [C_in, k, C_out]
    return tf.transpose(grad, [1, 0, 2])


def conv_same(x, kernel, stride):
    """tf.nn.conv1d(x, kernel, stride, "SAME") with the kernel gradient of `kernel_gradient`."""

    @tf.custom_gradient
    def conv(x, kernel):
        def gradient(dy):
            dx = tf.nn.conv1d_transpose(dy, kernel, tf.shape(x), stride, "SAME")
            return dx, kernel_gradient(x, dy, kernel.shape[0], stride)
        return tf.nn.conv1d(x, kernel, stride, "SAME"), gradient

    return conv(x, tf.cast(kernel, x.dtype))


def deconv_same(x, kernel, stride):
    """tf.nn.conv1d_transpose (SAME, length x stride) with the kernel gradient of `kernel_gradient`:
    a transposed conv's kernel gradient is the forward conv's, with its output in the inputs' place."""

    @tf.custom_gradient
    def deconv(x, kernel):
        def gradient(dy):
            dx = tf.nn.conv1d(dy, kernel, stride, "SAME")
            return dx, kernel_gradient(dy, x, kernel.shape[0], stride)
        shape = tf.shape(x)
        out_shape = tf.stack([shape[0], shape[1] * stride, kernel.shape[1]])
        return tf.nn.conv1d_transpose(x, kernel, out_shape, stride, "SAME"), gradient

    return deconv(x, tf.cast(kernel, x.dtype))


class _Conv(keras.layers.Layer):
    """Kernel, optional bias and optional spectral norm; subclasses define the linear map in
    its two forms (tf.nn op and matmul) and the output length."""

    def __init__(self, filters, kwidth=31, stride=2, use_bias=True, spectral_norm=False,
                 kernel_initializer=REFERENCE_INIT, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kwidth, self.stride, self.use_bias = filters, kwidth, stride, use_bias
        self.kernel_initializer = kernel_initializer
        self.sn = SpectralNorm(name="sn") if spectral_norm else None

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=self._kernel_shape(input_shape[-1]),
                                      initializer=self.kernel_initializer)
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
                     if self.use_bias else None)
        if self.sn is not None:
            self.sn.build(self.kernel.shape)

    def call(self, x):
        length_out = self.compute_output_shape(x.shape)[1]
        if length_out is not None and length_out <= MATMUL_MAX_LENGTH:
            y = self._matmul_form(x, self.kernel)
        else:
            y = self._tf_form(x, self.kernel)
        if self.sn is not None:
            y = y / tf.cast(self.sn(self.kernel), y.dtype)  # sn reads the float32 kernel
        if self.bias is not None:
            y = tf.nn.bias_add(y, self.bias)
        return y

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


class PReLU(keras.layers.Layer):
    """relu(x) + alpha * min(x, 0), one alpha per channel, initialised to 0."""

    def build(self, input_shape):
        self.alpha = self.add_weight(name="alpha", shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        return tf.nn.relu(x) + self.alpha * tf.minimum(x, 0.0)


def leaky_relu(x):
    """The reference's LeakyReLU: max(x, 0.3 x)."""
    return tf.nn.leaky_relu(x, alpha=0.3)
