"""The reference's multi-stage LSGAN + L1 losses (docs/design.md §6.2), without ½ factors.

    L_D = mean((D(x, x~) - 1)^2) + (1/N) sum_n mean(D(G_n, x~)^2)
    L_G = (1/N) sum_n mean((D(G_n, x~) - 1)^2) + lambda * sum_n w_n mean|G_n - x|,  w_n = 2^-(N-1-n)

With N = 1 these are exactly SEGAN's losses. Every term is returned for logging. Not the paper's, off by
default: `stft_weight` mu > 0 adds mu * sum_n w_n S(G_n, x), S the multi-resolution STFT loss (stft_loss.py).
"""
from __future__ import annotations

import tensorflow as tf

from common.nn.stft_loss import stft_loss


def stage_weights(n_stages: int) -> list[float]:
    """[..., 0.25, 0.5, 1]: the last stage weighs 1, each earlier one half the next."""
    return [2.0 ** -(n_stages - 1 - n) for n in range(n_stages)]


def _f32(tensors):
    return [tf.cast(t, tf.float32) for t in tensors]  # under mixed precision the losses are float32 too


def d_loss(d_real, d_fakes):
    d_real, d_fakes = tf.cast(d_real, tf.float32), _f32(d_fakes)
    real = tf.reduce_mean(tf.square(d_real - 1.0))
    fakes = [tf.reduce_mean(tf.square(f)) for f in d_fakes]
    return real + tf.add_n(fakes) / len(fakes), {"d_real": real, **{f"d_fake_{n}": f for n, f in enumerate(fakes)}}


def _weighted(values):
    return tf.add_n([w * v for w, v in zip(stage_weights(len(values)), values)])


def g_loss(d_fakes, stages, clean, l1_lambda, adv_weight=1.0, stft_weight=0.0, preemph=0.0):
    """`adv_weight` (1 in the reference) scales the adversarial term; `d_fakes` None: L1 alone (D not run);
    `preemph`: that of the windows (the STFT loss weighs its spectra as de-emphasis will)."""
    stages, clean = _f32(stages), tf.cast(clean, tf.float32)
    l1s = [tf.reduce_mean(tf.abs(s - clean)) for s in stages]
    loss, terms = l1_lambda * _weighted(l1s), {f"g_l1_{n}": l for n, l in enumerate(l1s)}
    if stft_weight:
        spectral = [stft_loss(s, clean, preemph) for s in stages]
        loss += stft_weight * _weighted(spectral)
        terms.update({f"g_stft_{n}": l for n, l in enumerate(spectral)})
    if d_fakes is None:
        return loss, terms
    advs = [tf.reduce_mean(tf.square(f - 1.0)) for f in _f32(d_fakes)]
    adv = tf.add_n(advs) / len(advs)
    return adv_weight * adv + loss, {"g_adv": adv, **terms}
