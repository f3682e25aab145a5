import numpy as np
import tensorflow as tf

from common.nn import losses
from common.nn.optim import TF1RMSProp


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
