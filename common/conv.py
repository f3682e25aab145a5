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
conv: at batch 4 oneDNN's filter-gradient kernel reached 3-57 % of the fp32 matmul rate at these layers'
shapes and its forward conv 6-67 % on the same sums, 1.5x faster over all of them (1.4x at batch 50;
scripts/bench/conv_gradient.py measures both).
"""
import keras
import tensorflow as tf

from common.spectral_norm import SpectralNorm

KERNEL_STDDEV = 0.02  # the reference's truncated-normal kernel initialiser
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
    frames = frame(x, kwidth, stride)                                  # [B, T_out, k, C_in]
    y = tf.matmul(tf.reshape(frames, [-1, kwidth * cin]), tf.reshape(kernel, [kwidth * cin, cout]))
    return tf.reshape(y, [-1, length_out, cout])


def deconv_col2im(x, kernel, stride):
    """SAME transposed conv: every input step times the kernel gives k output taps
    [B, T, k, C_out], overlap-added with hop `stride` and cropped to TF's alignment."""
    kwidth = kernel.shape[0]
    length = x.shape[1]
    full = overlap_add(tf.einsum("bti,koi->btko", x, kernel), stride)
    left = _same_pad(stride * length, length, kwidth, stride)[0]
    return full[:, left:left + stride * length]


# `frame` and `overlap_add` are each other's adjoint, and each is the other's gradient. TensorFlow's own
# gradients of them (a gather's segment sum; a zero-padded copy of the taps per hop) cost several times
# the forward at the deepest layers.

def frame(x, kwidth, stride):
    """[B, L, C] -> [B, T, kwidth, C]: frame t is x[:, stride*t : stride*t + kwidth], for every t
    with a whole frame."""
    length = x.shape[1]

    @tf.custom_gradient
    def framed(x):
        def gradient(d_frames):
            full = _overlap_add(d_frames, stride)  # zeros past the last frame's end
            extra = length - full.shape[1]
            return tf.pad(full, [[0, 0], [0, extra], [0, 0]]) if extra > 0 else full[:, :length]
        return tf.signal.frame(x, kwidth, stride, axis=1), gradient

    return framed(x)


def overlap_add(frames, stride):
    """[B, T, k, C] -> [B, stride * (T + ceil(k / stride) - 1), C]: frame t added at step stride*t."""
    steps, kwidth = frames.shape[1], frames.shape[2]

    @tf.custom_gradient
    def added(frames):
        def gradient(d_full):
            return tf.signal.frame(d_full, kwidth, stride, axis=1)[:, :steps]
        return _overlap_add(frames, stride), gradient

    return added(frames)


def _overlap_add(frames, stride):
    steps, kwidth, channels = frames.shape[1:]
    hops = -(-kwidth // stride)                                        # taps per output phase
    frames = tf.pad(frames, [[0, 0], [0, 0], [0, hops * stride - kwidth], [0, 0]])
    frames = tf.reshape(frames, [-1, steps, hops, stride, channels])
    # tap j*stride + r of step t lands at stride*(t + j) + r
    full = tf.add_n([tf.pad(frames[:, :, j], [[0, 0], [j, hops - 1 - j], [0, 0], [0, 0]])
                     for j in range(hops)])
    return tf.reshape(full, [-1, stride * (steps + hops - 1), channels])


def kernel_gradient(inputs, out_grad, kwidth, stride):
    """Gradient [k, C_in, C_out] of the kernel of the SAME conv of `inputs` [B, T, C_in] whose
    output has gradient `out_grad` [B, T_out, C_out]: sum over b, t of padded_inputs[b, stride*t + j]
    times out_grad[b, t], as a VALID conv of the padded inputs (batch as channels) with out_grad as a
    filter of T_out taps dilated by `stride`. The conv pads them itself (explicit padding): a separate
    pad, one more pass over the inputs, made the whole 1.1-2.2x slower at batch 50 (within 10 % at 4)."""
    length, length_out = inputs.shape[1], out_grad.shape[1]
    span = (length_out - 1) * stride + kwidth
    left = _same_pad(length, length_out, kwidth, stride)[0]
    if left + length > span:                                           # steps no output reaches
        inputs, length = inputs[:, :span - left], span - left
    signal = tf.transpose(inputs, [2, 1, 0])[:, None]                  # [C_in, 1, T, B]
    taps = tf.transpose(out_grad, [1, 0, 2])[None]                     # [1, T_out, B, C_out]
    grad = tf.nn.conv2d(signal, taps, 1, [[0, 0], [0, 0], [left, span - left - length], [0, 0]],
                        dilations=[1, 1, stride, 1])                   # [C_in, 1, k, C_out]
    return tf.transpose(grad[:, 0], [1, 0, 2])


def conv_same(x, kernel, stride):
    """tf.nn.conv1d(x, kernel, stride, "SAME") with the kernel gradient of `kernel_gradient`."""

    @tf.custom_gradient
    def conv(x, kernel):
        def gradient(dy):
            dx = tf.nn.conv1d_transpose(dy, kernel, tf.shape(x), stride, "SAME")
            return dx, kernel_gradient(x, dy, kernel.shape[0], stride)
        return tf.nn.conv1d(x, kernel, stride, "SAME"), gradient

    return conv(x, kernel)


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

    return deconv(x, kernel)


class _Conv(keras.layers.Layer):
    """Kernel, optional bias and optional spectral norm; subclasses define the linear map in
    its two forms (tf.nn op and matmul) and the output length."""

    def __init__(self, filters, kwidth=31, stride=2, use_bias=True, spectral_norm=False, kernel_initializer=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kwidth, self.stride, self.use_bias = filters, kwidth, stride, use_bias
        self.kernel_initializer = kernel_initializer  # a name; None: the reference's truncated normal
        self.sn = SpectralNorm(name="sn") if spectral_norm else None

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
        length_out = self.compute_output_shape(x.shape)[1]
        kernel, sigma = tf.convert_to_tensor(self.kernel), None  # float32 under any precision policy
        if self.sn is not None:
            sigma = self.sn(kernel)
            # the conv is linear: divide the kernel or the output, whichever is smaller (unknown: the kernel)
            outputs = None if None in (x.shape[0], length_out) else x.shape[0] * length_out * self.filters
            if outputs is None or kernel.shape.num_elements() <= outputs:
                kernel, sigma = kernel / sigma, None
        kernel = tf.cast(kernel, x.dtype)
        if length_out is not None and length_out <= MATMUL_MAX_LENGTH:
            y = self._matmul_form(x, kernel)
        else:
            y = self._tf_form(x, kernel)
        if sigma is not None:
            y = y / tf.cast(sigma, y.dtype)
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
        return prelu(x, tf.cast(self.alpha, x.dtype))


def prelu(x, alpha):
    """relu(x) + alpha * min(x, 0) (alpha per channel) in 3 passes over x forward and 5 backward, where
    automatic differentiation of that expression takes 4 and 7 (these activations are the step's largest
    element-wise tensors)."""

    @tf.custom_gradient
    def activation(x, alpha):
        negative = tf.minimum(x, 0.0)

        def gradient(dy):
            return (tf.where(x > 0, dy, dy * alpha),
                    tf.reduce_sum(dy * negative, axis=tuple(range(len(x.shape) - 1))))
        return x + (alpha - 1.0) * negative, gradient

    return activation(x, alpha)


def leaky_relu(x):
    """The reference's LeakyReLU: max(x, 0.3 x)."""
    return tf.nn.leaky_relu(x, alpha=0.3)
