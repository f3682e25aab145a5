"""The speed forms behind common/nn/conv.py's layers: the same sums as TensorFlow's conv ops, with
hand-written gradients where those run faster on CPU (docs/speed.md has the measurements).

- `conv_im2col` / `deconv_col2im`: one matmul around explicit frames (im2col) or an overlap-add (col2im);
  the layers use them where the output has at most MATMUL_MAX_LENGTH steps (the deepest layers, few steps
  and many channels, where TensorFlow's conv kernels are slow).
- `conv_same` / `deconv_same`: tf.nn.conv1d / conv1d_transpose, whose kernel gradient is `kernel_gradient`:
  the same sum run as one forward conv (batch as channels, the output gradient as a dilated filter).
- `frame` / `overlap_add`: each other's adjoint and gradient.
- `prelu`: PReLU with a written gradient (fewer passes over the step's largest element-wise tensors).
All give TensorFlow's SAME alignment; tests/test_layers.py checks each against TensorFlow's own op and
gradient.

The layers (common/nn/conv.py, common/nn/spectral_norm.py) take their forms as an argument given when a model
is built, `kernels`: "native" (their default: TensorFlow's own conv ops and automatic gradients everywhere, what
cuDNN runs on a GPU) or "tuned" (these forms, spectral norm's written gradient and its division placed by size:
fastest on CPU). The flag --kernels also takes "auto", which `resolve` turns into one of the two once, where the
models are built: tuned on a machine without a GPU, native with one (no GPU measurement says otherwise yet).
"""
import tensorflow as tf

from common.config.train_config import KERNEL_FORMS

MATMUL_MAX_LENGTH = 32  # output steps at or below which a layer takes the matmul form
FORMS = tuple(f for f in KERNEL_FORMS if f != "auto")  # what a model is built with; auto stands for one of them


def resolve(form: str) -> str:
    """The form a --kernels value builds models with on this machine: auto is tuned without a GPU, native with
    one."""
    if form not in KERNEL_FORMS:
        raise ValueError(f"kernel form {form!r}: not one of {', '.join(KERNEL_FORMS)}")
    if form == "auto":
        return "native" if tf.config.list_physical_devices("GPU") else "tuned"
    return form


def is_tuned(form: str) -> bool:
    """Whether a layer built with `form` ("tuned" or "native", `resolve`d) takes the tuned forms."""
    if form not in FORMS:
        raise ValueError(f"kernel form {form!r} for a layer: not one of {', '.join(FORMS)} (resolve() turns auto "
                         f"into one of them where the models are built)")
    return form == "tuned"


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
    filter of T_out taps dilated by `stride`. The conv pads them itself (explicit padding), which saves a
    pass over the inputs (docs/speed.md)."""
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
