"""The `gpu` tests: what runs on the device under test (tests/devices.py: a GPU, else a logical CPU) equals what
runs on the CPU — each layer form's outputs and gradients, a training iteration, two replicas against one at twice
the batch, a float16 loss-scaled iteration, an XLA iteration, a file enhanced. On a GPU they check cuDNN, cuBLAS
and the all-reduce against the CPU (scripts/gpu_check.sh runs them there and reports their figures); in the CPU
suite they check the same code across the logical devices. z is passed in (or zero) and D's input noise is off: the
devices' random streams differ."""
import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from common.config.named_configs import tiny
from common.enhancement.enhance import Enhancer
from common.enhancement.enhance_files import enhance_file
from common.models.build import build_models
from common.nn import loss_scale, spectral_norm
from tests import devices
from tests.conftest import speech
from tests.devices import REFERENCE, deviation, record, tolerance_used
from tests.test_kernel_forms import models_in_both_forms, outputs_and_gradients
from tests.test_trainer import state, tiny_trainer

pytestmark = pytest.mark.gpu
# every layer kind (attention in G and D); no input noise in D: the devices' random streams differ
SA_BOTH = ("--stages", "2", "--self_attention", "--d_attention", "--init_noise_std", "0")


def dut() -> str:
    return devices.under_test()[0]


def inputs(cfg, batch, rng):
    """A clean and a noisy batch and a z per stage."""
    clean, noisy = (tf.constant(0.3 * rng.standard_normal((batch, cfg.canvas_size, 1)), tf.float32) for _ in "cn")
    return clean, noisy, [tf.constant(rng.standard_normal(cfg.z_shape(batch)), tf.float32) for _ in range(cfg.stages)]


def gradient_deviations(got, want):
    """Each variable's max |Δ| over its own gradient's max, or over a hundredth of the largest gradient where its own
    nearly cancels out (a conv bias before D's batch norm: zero up to rounding)."""
    largest = max(float(np.max(np.abs(g))) for g in want)
    return [float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) / max(float(np.max(np.abs(b))), 1e-2 * largest)
            for a, b in zip(got, want)]


def trainers(tmp_path, reference, under_test, flags=SA_BOTH, flags_under_test=()):
    """A tiny trainer on each strategy, the second with the first's state (weights, spectral-norm u, optimizers)."""
    a = tiny_trainer("isegan", tmp_path / "a", tmp_path / "none.tfrecords", *flags, strategy=reference)
    b = tiny_trainer("isegan", tmp_path / "b", tmp_path / "none.tfrecords", *flags, *flags_under_test,
                     strategy=under_test)
    for x, y in zip(state(a), state(b), strict=True):
        y.assign(x.numpy())
    return a, b


def iteration(tr, d_batch, g_batch):
    """One D step and one G step on the given batches and z; the loss terms of both."""
    return {**tf.function(tr.d_step)(*d_batch), **tf.function(tr.g_step)(*g_batch)}


def placed_on(tr, device):
    def kind_and_index(name):
        spec = tf.DeviceSpec.from_string(name)
        return spec.device_type, spec.device_index
    return all(kind_and_index(v.value.device) == kind_and_index(device) for v in tr.chain.trainable_variables)


def states_agree(check, got, want, rtol=2e-4, atol=2e-6, **figures):
    """Every variable of two trainers' states (or lists of variables) equal within rtol, atol; recorded."""
    share, worst = tolerance_used([(b.path, a.numpy(), b.numpy()) for a, b in zip(got, want)], rtol, atol)
    record(check, tolerance_used=share, **figures)
    assert share <= 1, f"{worst}: {share:.2f} x the tolerance (rtol {rtol}, atol {atol})"


@pytest.mark.parametrize("form", ["tuned", "native"])
@pytest.mark.parametrize("name", ["ISEGAN-SA-2", "SASEGAN", "DSEGAN-2"])
def test_each_layer_form_on_the_device_computes_the_cpus_outputs_and_gradients(name, form, rng):
    """Every layer of the chain and D (convs, transposed convs, their matmul forms, PReLU, spectral norm, attention,
    virtual batch norm) in kernel form `form` on the device, against the tuned forms on the CPU."""
    cfg = tiny(name)
    models = models_in_both_forms(cfg)
    clean, noisy, zs = inputs(cfg, 4, rng)
    weights = [tf.constant(rng.standard_normal((4, cfg.canvas_size, 1)), tf.float32) for _ in range(cfg.stages)]
    with tf.device(REFERENCE):
        want = outputs_and_gradients(*models["tuned"], clean, noisy, zs, weights)
    with tf.device(dut()):
        got = outputs_and_gradients(*models[form], clean, noisy, zs, weights)
    outputs = [deviation(a, b) for a, b in zip(got[0], want[0])]
    gradients = gradient_deviations(got[1], want[1])
    record(f"layers {name}, {form} forms", outputs=max(outputs), gradients=max(gradients))
    assert max(outputs) <= 1e-4, outputs
    worst = int(np.argmax(gradients))
    assert len(gradients) == len(want[2]) > 20 and gradients[worst] <= 1e-4, want[2][worst].path


def test_one_training_iteration_on_the_device_equals_the_cpus(tmp_path, rng, one_replica, device_replica):
    cpu, on_device = trainers(tmp_path, one_replica, device_replica)
    assert placed_on(on_device, dut())
    d_batch, g_batch = inputs(cpu.cfg, 4, rng), inputs(cpu.cfg, 4, rng)
    want, got = iteration(cpu, d_batch, g_batch), iteration(on_device, d_batch, g_batch)
    losses = max(deviation(got[k], want[k]) for k in want)
    assert losses <= 1e-4, {k: (float(got[k]), float(want[k])) for k in want}
    states_agree("one training iteration", state(on_device), state(cpu), losses=losses)


def test_two_replicas_on_the_devices_equal_one_at_twice_the_batch(tmp_path, rng, device_replicas, device_replica):
    """The all-reduce path: a G update on 2 replicas x 4 windows is the update on 1 x 8 (with the adversarial
    term off, no batch statistics enter: the gradient is the mean over the replicas)."""
    one, two = trainers(tmp_path, device_replica, device_replicas, ("--adv_weight", "0", "--stages", "2"))
    clean, noisy, zs = inputs(one.cfg, 8, rng)

    def spread(x):
        return two.strategy.experimental_distribute_values_from_function(
            lambda ctx: x[4 * ctx.replica_id_in_sync_group:4 * ctx.replica_id_in_sync_group + 4])

    before = [v.numpy() for v in one.chain.trainable_variables]
    tf.function(two.g_step)(spread(clean), spread(noisy), [spread(z) for z in zs])
    tf.function(one.g_step)(clean, noisy, zs)
    states_agree("two replicas against one at twice the batch", two.chain.trainable_variables,
                 one.chain.trainable_variables, rtol=1e-4, atol=1e-6,
                 all_reduce=type(two.strategy.extended._get_cross_device_ops(tf.zeros([]))).__name__)
    assert sum(not np.array_equal(b, v.numpy()) for b, v in zip(before, two.chain.trainable_variables)) > 10


def test_a_float16_loss_scaled_iteration_on_the_device(tmp_path, rng, one_replica, device_replica):
    """Unscaled float16 gradients of G and D within 5 % of the CPU's float32 ones (float16 keeps about 3 digits: 2 %
    in D, through its batch norms, on a CPU), then a whole loss-scaled iteration: finite, and either applied or
    skipped with the scale halved."""
    cpu, half = trainers(tmp_path, one_replica, device_replica, flags_under_test=("--mixed_precision", "float16"))
    batch = inputs(cpu.cfg, 4, rng)
    errors = {}  # per network: |Δ| / |gradient| over all its variables (a bias before batch norm has next to none)
    for net in "gd":
        want = unscaled(getattr(cpu, f"{net}_gradients"), None, batch)
        with tf.device(dut()):
            got = unscaled(getattr(half, f"{net}_gradients"), getattr(half, f"{net}_scale"), batch)
        want, got = (tf.concat([tf.reshape(g, [-1]) for g in grads], 0) for grads in (want, got))
        errors[net] = float(tf.norm(got - want) / tf.norm(want))
    before = [v.numpy() for v in half.chain.trainable_variables]
    losses = iteration(half, batch, inputs(cpu.cfg, 4, rng))
    scales = half.loss_scale_state()
    record("float16 loss-scaled iteration", g_gradients=errors["g"], d_gradients=errors["d"], **scales)
    assert max(errors.values()) <= 5e-2, errors
    assert all(np.isfinite(float(v)) for v in losses.values()) and half.weights_finite()
    changed = any(not np.array_equal(b, v.numpy()) for b, v in zip(before, half.chain.trainable_variables))
    skipped = scales["g_skipped_steps"] == 1 and scales["g_loss_scale"] == loss_scale.INITIAL_SCALE / 2
    assert changed != skipped, scales


def unscaled(gradients, loss_scale, batch):
    """Gradients from the spectral norm's u as it is (left unchanged), divided by the loss scale if any: float16 at
    the largest power-of-two scale from the loss scale's start at which they are finite, as dynamic loss scaling
    finds it (the loss scale is left as it was)."""
    start = loss_scale and float(loss_scale.scale.numpy())
    try:
        while True:
            with spectral_norm.deferred_updates():
                grads = gradients(*batch)[0]
            if loss_scale is None:
                return grads
            if all(bool(tf.reduce_all(tf.math.is_finite(g))) for g in grads) or loss_scale.scale < 1:
                return [g / loss_scale.scale for g in grads]
            loss_scale.scale.assign(loss_scale.scale / 2)
    finally:
        if loss_scale is not None:
            loss_scale.scale.assign(start)


@pytest.mark.slow  # XLA compilation
def test_an_xla_iteration_on_the_device_equals_the_plain_one_on_the_cpu(tmp_path, rng, one_replica,
                                                                        device_replica):
    cpu, compiled = trainers(tmp_path, one_replica, device_replica, flags_under_test=("--xla",))
    d_batch, g_batch = inputs(cpu.cfg, 4, rng), inputs(cpu.cfg, 4, rng)
    want, got = iteration(cpu, d_batch, g_batch), iteration(compiled, d_batch, g_batch)
    states_agree("XLA iteration", state(compiled), state(cpu), losses=max(deviation(got[k], want[k]) for k in want))


def test_a_file_enhanced_on_the_device_equals_the_cpus(tmp_path):
    cfg = tiny("ISEGAN-SA-2")
    chain, _ = build_models(cfg, kernels="tuned")
    noisy = tmp_path / "noisy.wav"
    sf.write(noisy, speech(2.5, seed=4), 16000, subtype="FLOAT")
    u = [v.numpy().copy() for v in chain.non_trainable_variables]
    out = {}
    for device in (REFERENCE, dut()):
        for v, value in zip(chain.non_trainable_variables, u):  # each call runs a power iteration: start alike
            v.assign(value)
        with tf.device(device):
            enhancer = Enhancer(lambda w: chain(w, zs=[tf.zeros(cfg.z_shape(tf.shape(w)[0]))] * cfg.stages),
                                cfg.canvas_size, 0.95, batch=4)
            enhance_file(enhancer, str(noisy), str(tmp_path / "enhanced.wav"))
        out[device] = sf.read(tmp_path / "enhanced.wav", dtype="float32")[0]
    want, got = out[REFERENCE], out[dut()]
    record("file enhanced", samples=deviation(got, want), seconds=len(want) / 16000)
    assert got.shape == want.shape == (40000,) and np.max(np.abs(want)) > 1e-3
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * np.max(np.abs(want)))
