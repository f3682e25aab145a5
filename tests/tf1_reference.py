"""An independent, functional restatement of the reference's TF1 graph (docs/design.md §3-§5) in
float64, written the way the reference wrote it: 2-D convs on [B, T, 1, C] with kernels
[k, 1, C_in, C_out] / [k, 1, C_out, C_in], PReLU as relu(x) + alpha (x - |x|) / 2, VBN as
(x - mean) / std * gamma + beta. The tests compare the Keras models against it."""
import numpy as np
import tensorflow as tf


def l2n(a):
    return a / (np.sqrt(np.sum(a ** 2)) + 1e-12)


def sn_step(w, u):
    """One power iteration of `spectral_normed_weight`: returns (sigma, u')."""
    mat = w.reshape(-1, w.shape[-1])
    v = l2n(u @ mat.T)
    u_new = l2n(v @ mat)
    return (v @ mat @ u_new.T).item(), u_new


class Weights:
    """float64 copy of a model's variables, keyed by path below the model. `kernel(layer)`
    spectrally normalises like the model: one power iteration with the stored u, then u is
    replaced, so successive passes see the same u sequence as the model."""

    def __init__(self, model):
        self.v = {var.path.split(model.name + "/", 1)[-1]: var.numpy().astype(np.float64)
                  for var in model.variables}

    def kernel(self, layer=""):
        """`layer` is a path below the model ('' when the model is the conv layer itself)."""
        prefix = f"{layer}/" if layer else ""
        w, u = self.v[prefix + "kernel"], prefix + "sn/u"
        if u not in self.v:
            return w
        sigma, self.v[u] = sn_step(w, self.v[u])
        return w / sigma

    def get(self, name):
        return self.v.get(name)


def downconv(x, w, b=None, stride=2):
    y = tf.nn.conv2d(x[:, :, None], w[:, None], [1, stride, 1, 1], "SAME").numpy()[:, :, 0]
    return y if b is None else y + b


def deconv(x, w, b=None):
    out = [x.shape[0], 2 * x.shape[1], 1, w.shape[1]]
    y = tf.nn.conv2d_transpose(x[:, :, None], w[:, None], out, [1, 2, 1, 1], "SAME").numpy()[:, :, 0]
    return y if b is None else y + b


def prelu(x, alpha):
    return np.maximum(x, 0) + alpha * (x - np.abs(x)) * 0.5


def leakyrelu(x):
    return np.maximum(x, 0.3 * x)


def max_pool4(x):
    b, t, c = x.shape
    return x[:, :t - t % 4].reshape(b, t // 4, 4, c).max(axis=2)


def softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attention(x, weights, scope=""):
    """`sn_non_local_block_sim`; returns (output, attention map)."""
    def path(name):
        return f"{scope}/{name}" if scope else name

    def conv1x1(h, name):
        return downconv(h, weights.kernel(path(name)), stride=1)

    theta = conv1x1(x, "sn_conv_theta")
    phi = max_pool4(conv1x1(x, "sn_conv_phi"))
    attn = softmax(theta @ phi.transpose(0, 2, 1))
    g = max_pool4(conv1x1(x, "sn_conv_g"))
    o = conv1x1(attn @ g, "sn_conv_attn")
    return x + weights.get(path("sigma_ratio")) * o, attn


def generator(x, z, weights, cfg):
    """AEGenerator(_Attention) forward with explicit z; attention blocks are applied where the
    weights hold them. Returns (output, {block name: attention map})."""
    last, maps = cfg.num_layers - 1, {}

    def act(h, name):
        alpha = weights.get(f"{name}/alpha")
        return leakyrelu(h) if alpha is None else prelu(h, alpha)

    def maybe_attend(h, scope):
        if weights.get(f"{scope}/sigma_ratio") is None:
            return h
        h, maps[scope] = attention(h, weights, scope)
        return h

    skips, h = [], x
    for i in range(cfg.num_layers):
        h = downconv(h, weights.kernel(f"enc_{i}"), weights.get(f"enc_{i}/bias"))
        if i < last:
            skips.append(h)
        h = maybe_attend(act(h, f"enc_prelu_{i}"), f"encoder_attention_layer{i}")
    h = np.concatenate([z, h], axis=-1)
    for j in range(cfg.num_layers):
        h = deconv(h, weights.kernel(f"dec_{j}"), weights.get(f"dec_{j}/bias"))
        if j < last:
            h = np.concatenate([act(h, f"dec_prelu_{j}"), skips[-(j + 1)]], axis=-1)
            h = maybe_attend(h, f"decoder_attention_layer{j}")
    return np.tanh(h), maps


def vbn(x, gamma, beta, ref=None):
    """Reference pass (ref None): own stats, returns (out, (mean, mean_sq, B)); otherwise mixes
    with ref = (mean, mean_sq, B_ref) using c = 1/(B_ref+1)."""
    mean, mean_sq = x.mean(axis=(0, 1)), (x ** 2).mean(axis=(0, 1))
    stats = (mean, mean_sq, x.shape[0])
    if ref is not None:
        c = 1.0 / (ref[2] + 1.0)
        mean, mean_sq = c * mean + (1 - c) * ref[0], c * mean_sq + (1 - c) * ref[1]
    out = (x - mean) / np.sqrt(1e-5 + mean_sq - mean ** 2) * gamma + beta
    return out, stats


def discriminator(candidate, noisy, weights, cfg, ref_stats=None):
    """Returns (logits, per-block stats); ref_stats None runs the reference (dummy) pass."""
    h, stats = np.concatenate([candidate, noisy], axis=-1), []
    for i in range(len(cfg.d_num_fmaps)):
        h = downconv(h, weights.kernel(f"d_block_{i}"), weights.get(f"d_block_{i}/bias"))
        h, s = vbn(h, weights.get(f"d_vbn_{i}/gamma"), weights.get(f"d_vbn_{i}/beta"),
                   None if ref_stats is None else ref_stats[i])
        stats.append(s)
        h = leakyrelu(h)
        scope = f"discriminator_attention_layer{i}"
        if weights.get(f"{scope}/sigma_ratio") is not None:
            h = attention(h, weights, scope)[0]
    h = downconv(h, weights.kernel("logits_conv"), stride=1)[:, :, 0]
    logits = h @ weights.get("fully_connected/kernel") + weights.get("fully_connected/bias")
    return logits, stats
