import numpy as np
import pytest
import tensorflow as tf

from common.nn import losses
from common.nn.optim import TF1RMSProp
from common.nn.stft_loss import FLOOR, RESOLUTIONS, stft_loss


def test_tf1_rmsprop_follows_the_formula():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(3, 4)).astype(np.float32)
    grads = [rng.normal(size=(3, 4)).astype(np.float32) for _ in range(3)]
    var = tf.Variable(w0)
    opt = TF1RMSProp(learning_rate=0.01)
    w, ms = w0.astype(np.float64), np.ones_like(w0, np.float64)  # the slot starts at 1.0
    for g in grads:
        opt.apply_gradients([(tf.constant(g), var)])
        ms = 0.9 * ms + 0.1 * g.astype(np.float64) ** 2
        w = w - 0.01 * g / np.sqrt(ms + 1e-10)  # eps inside the root
        np.testing.assert_allclose(var.numpy(), w, rtol=1e-5, atol=1e-7)
    # Keras' RMSprop (slot at 0, eps outside) would take a first step of lr/sqrt(1-rho) whatever |g| is:
    g = np.array([0.01, 0.1, 0.5, 1.0])
    tf1_first = 0.01 * g / np.sqrt(0.9 + 0.1 * g ** 2 + 1e-10)
    opt2, var2 = TF1RMSProp(learning_rate=0.01), tf.Variable(np.zeros(4, np.float32))
    opt2.apply_gradients([(tf.constant(g, tf.float32), var2)])
    np.testing.assert_allclose(-var2.numpy(), tf1_first, rtol=1e-5)
    assert np.all(0.01 / np.sqrt(0.1) >= 3 * tf1_first)


def test_stage_weights():
    assert losses.stage_weights(1) == [1.0]
    assert losses.stage_weights(2) == [0.5, 1.0]
    assert losses.stage_weights(4) == [0.125, 0.25, 0.5, 1.0]


def test_losses_match_the_reference_formulas():
    rng = np.random.default_rng(1)
    d_real = rng.normal(size=(5, 1)).astype(np.float32)
    d_fakes = [rng.normal(size=(5, 1)).astype(np.float32) for _ in range(3)]
    clean = rng.normal(size=(5, 64, 1)).astype(np.float32)
    stages = [rng.normal(size=(5, 64, 1)).astype(np.float32) for _ in range(3)]
    d, d_terms = losses.d_loss(tf.constant(d_real), [tf.constant(f) for f in d_fakes])
    expected_d = np.mean((d_real - 1) ** 2) + np.mean([np.mean(f ** 2) for f in d_fakes])
    np.testing.assert_allclose(float(d), expected_d, rtol=1e-6)
    assert set(d_terms) == {"d_real", "d_fake_0", "d_fake_1", "d_fake_2"}
    g, g_terms = losses.g_loss([tf.constant(f) for f in d_fakes], [tf.constant(s) for s in stages],
                               tf.constant(clean), 100.0)
    expected_g = (np.mean([np.mean((f - 1) ** 2) for f in d_fakes])
                  + 100 * sum(w * np.mean(np.abs(s - clean)) for w, s in zip([0.25, 0.5, 1.0], stages)))
    np.testing.assert_allclose(float(g), expected_g, rtol=1e-6)
    np.testing.assert_allclose(float(g_terms["g_l1_2"]), np.mean(np.abs(stages[2] - clean)), rtol=1e-6)


@pytest.mark.parametrize("preemph", [0.0, 0.95])
def test_stft_loss_against_numpy(preemph):
    """The multi-resolution STFT loss (--stft_weight) recomputed with numpy's FFT: spectral convergence plus mean
    log-magnitude distance of the magnitudes times the de-emphasis gain 1 / |1 - a e^-jw|, averaged over the
    resolutions; zero for identical signals."""
    rng = np.random.default_rng(2)
    x, y = (rng.normal(size=(2, 4096, 1)).astype(np.float32) for _ in range(2))

    def magnitudes(s, n, hop):  # periodic Hann frames without padding, as tf.signal.stft
        window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
        starts = range(0, s.shape[1] - n + 1, hop)
        spectra = np.fft.rfft(np.stack([s[:, t:t + n, 0] for t in starts], 1) * window, axis=-1)
        gain = 1 / np.abs(1 - preemph * np.exp(-1j * 2 * np.pi * np.fft.rfftfreq(n)))
        return gain * np.abs(spectra) + FLOOR

    expected = np.mean([np.linalg.norm(my - mx) / np.linalg.norm(mx) + np.mean(np.abs(np.log(my) - np.log(mx)))
                        for n, hop in RESOLUTIONS for my, mx in [(magnitudes(y, n, hop), magnitudes(x, n, hop))]])
    np.testing.assert_allclose(float(stft_loss(tf.constant(y), tf.constant(x), preemph)), expected, rtol=1e-4)
    assert float(stft_loss(tf.constant(x), tf.constant(x), preemph)) == 0.0


def test_g_loss_adds_the_weighted_stft_terms_per_stage():
    rng = np.random.default_rng(3)
    clean = tf.constant(rng.normal(size=(2, 2048, 1)).astype(np.float32))
    stages = [tf.constant(rng.normal(size=(2, 2048, 1)).astype(np.float32)) for _ in range(2)]
    fakes = [tf.constant(rng.normal(size=(2, 1)).astype(np.float32)) for _ in range(2)]
    for d_fakes in (None, fakes):
        plain, plain_terms = losses.g_loss(d_fakes, stages, clean, 100.0)
        assert not any(k.startswith("g_stft") for k in plain_terms)  # off by default: the paper's loss
        mixed, terms = losses.g_loss(d_fakes, stages, clean, 100.0, stft_weight=3.0)
        spectral = [float(stft_loss(s, clean)) for s in stages]
        np.testing.assert_allclose([float(terms["g_stft_0"]), float(terms["g_stft_1"])], spectral, rtol=1e-6)
        np.testing.assert_allclose(float(mixed), float(plain) + 3.0 * (0.5 * spectral[0] + spectral[1]), rtol=1e-5)
        # the L1 removal schedule (lambda 0) leaves the STFT term
        no_l1, _ = losses.g_loss(d_fakes, stages, clean, 0.0, stft_weight=3.0)
        np.testing.assert_allclose(float(no_l1) - float(losses.g_loss(d_fakes, stages, clean, 0.0)[0]),
                                   3.0 * (0.5 * spectral[0] + spectral[1]), rtol=1e-5)


def test_trainer_weighs_the_stft_loss_by_the_runs_preemphasis(monkeypatch):
    """The G step's STFT terms are taken at the run's --preemph (what its test mode will de-emphasise)."""
    from common.config.named_configs import tiny
    from common.config.train_config import TrainConfig
    from common.training.trainer import Trainer
    seen = []
    monkeypatch.setattr(losses, "stft_loss", lambda y, x, preemph: seen.append(preemph) or stft_loss(y, x, preemph))
    trainer = Trainer(tiny("ISEGAN-2"), TrainConfig(batch_size=2, adv_weight=0.0, stft_weight=1.0, preemph=0.8,
                                                    seed=0))
    batch = tf.constant(np.random.default_rng(5).normal(0, 0.1, (2, trainer.cfg.canvas_size, 1)).astype(np.float32))
    _, terms = trainer.g_gradients(batch, batch)
    assert seen == [0.8, 0.8] and {"g_stft_0", "g_stft_1"} <= set(terms)


def test_stft_loss_leaves_out_resolutions_longer_than_the_window():
    """A 512-sample canvas (the tests' tiny models) uses the 256 and 512 FFTs, not the 1024 one that would have no
    frame (and a NaN loss); a window shorter than every FFT is refused."""
    rng = np.random.default_rng(6)
    x, y = (tf.constant(rng.normal(size=(2, 512, 1)).astype(np.float32)) for _ in range(2))
    short = [r for r in RESOLUTIONS if r[0] <= 512]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("common.nn.stft_loss.RESOLUTIONS", tuple(short))
        expected = float(stft_loss(y, x))
    assert np.isfinite(float(stft_loss(y, x))) and float(stft_loss(y, x)) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="at least 256 samples, got 128"):
        stft_loss(y[:, :128], x[:, :128])
