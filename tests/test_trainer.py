import numpy as np
import pytest
import tensorflow as tf

from common.config import cli
from common.config.named_configs import main_argv
from common.training.trainer import Trainer
from tests.conftest import TINY_MODEL, tiny_args

CONFIGS = {"SEGAN": [], "SASEGAN": [], "ISEGAN-2": [], "ISEGAN-SA-2": [], "DSEGAN-2": [],
           "DSEGAN-SA-3": ["--att_generators", "0,2"]}  # name: extra flags


def tiny_trainer(variant, run_dir, records, *extra, strategy=None):
    args = tiny_args(variant, run_dir, records, *extra)
    return Trainer(args.model, args.training, strategy)


def fixed_batch(records, batch=4):
    """The `batch` loudest of the first 64 windows (a file's first windows can be silence)."""
    from common.audio import tfdata

    clean, noisy = next(iter(tfdata.make_dataset(str(records), 64, canvas=512, shuffle_buffer=0)))
    loudest = tf.argsort(tf.reduce_sum(tf.square(clean), axis=[1, 2]), direction="DESCENDING")[:batch]
    return tf.gather(clean, loudest), tf.gather(noisy, loudest)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_one_iteration_updates_both_networks(name, tiny_records, tmp_path):
    variant, flags = main_argv(name, att_layer_ind=2)
    tr = tiny_trainer(variant, tmp_path, tiny_records, *flags, *CONFIGS[name])
    g0 = [v.numpy().copy() for v in tr.chain.trainable_variables]
    d0 = [v.numpy().copy() for v in tr.disc.trainable_variables]
    it = iter([fixed_batch(tiny_records), fixed_batch(tiny_records)])
    out = tr.step(it)
    stages = tr.cfg.stages
    assert {f"d_fake_{n}" for n in range(stages)} | {f"g_l1_{n}" for n in range(stages)} <= set(out)
    assert all(np.isfinite(float(v)) for v in out.values())
    assert int(tr.iteration.numpy()) == 1
    changed = {v.path: not np.array_equal(a, v.numpy())
               for a, v in zip(g0 + d0, tr.chain.trainable_variables + tr.disc.trainable_variables)
               if "attention_layer" not in v.path or "sigma" in v.path}  # σ = 0 shields the 1x1s at step 1
    # every network moves; a few deep, tiny-signal variables may round to no change in float32
    for net in [g.name for g in tr.chain.generators] + ["discriminator"]:
        mine = [c for p, c in changed.items() if f"/{net}/" in f"/{p}"]
        assert mine and np.mean(mine) > 0.9, (net, [p for p, c in changed.items() if not c])


def test_l1_alone_learns_a_fixed_batch(tiny_records, tmp_path):
    tr = tiny_trainer("segan", tmp_path, tiny_records, "--adv_weight", "0", "--g_learning_rate", "5e-3")
    clean, noisy = fixed_batch(tiny_records)
    step = tf.function(tr.g_step)
    l1 = [float(step(clean, noisy)["g_l1_0"]) for _ in range(60)]
    assert np.mean(l1[-5:]) < 0.5 * l1[0], l1


def test_l1_only_skips_d_without_changing_g(tiny_records, tmp_path):
    """--adv_weight 0: D is neither run nor trained, and G's gradients are those of the full loss with a
    zero adversarial weight (so skipping D changes nothing G learns)."""
    tr = tiny_trainer("isegan", tmp_path, tiny_records, "--iterations", "2", "--adv_weight", "0")
    assert not tr.adversarial
    clean, noisy = fixed_batch(tiny_records)
    zs = [tf.random.normal(tr.cfg.z_shape(4)) for _ in range(2)]
    alone, terms = tr.g_gradients(clean, noisy, zs)
    tr.adversarial = True
    weighted_zero, all_terms = tr.g_gradients(clean, noisy, zs)
    assert "g_adv" in all_terms and "g_adv" not in terms
    for a, b, v in zip(alone, weighted_zero, tr.chain.trainable_variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-8, err_msg=v.path)
    tr.adversarial = False
    d0 = [v.numpy().copy() for v in tr.disc.trainable_variables]
    out = tr.step(iter([(clean, noisy), (clean, noisy)]))
    assert "d_loss" not in out and "g_l1_1" in out
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(d0, tr.disc.trainable_variables))



def test_adversarial_term_starts_at_adv_start(tiny_records, tmp_path):
    """--adv_start K: iterations before K leave D untouched and give G the L1-alone update; from K on, D trains
    and G's loss has its adversarial term."""
    tr = tiny_trainer("segan", tmp_path, tiny_records, "--adv_start", "1")
    assert tr.adversarial and not tr.adversarial_at(0) and tr.adversarial_at(1)
    clean, noisy = fixed_batch(tiny_records)
    d0 = [v.numpy().copy() for v in tr.disc.trainable_variables]
    warm = tr.step(iter([(clean, noisy)] * 2), tr.adversarial_at(0))
    assert "d_loss" not in warm and "g_adv" not in warm and "g_l1_0" in warm
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(d0, tr.disc.trainable_variables))
    full = tr.step(iter([(clean, noisy)] * 2), tr.adversarial_at(1))
    assert {"d_loss", "g_adv"} <= set(full)
    assert not all(np.array_equal(a, v.numpy()) for a, v in zip(d0, tr.disc.trainable_variables))

def test_loss_history_widens_when_columns_appear(tmp_path):
    from common.training.loss_history import LossHistory

    path = str(tmp_path / "losses.csv")
    first = LossHistory(path, 0)
    for i in (1, 2, 3):
        first.append(i, {"g_loss": i / 10})
    first.flush()
    resumed = LossHistory(path, 2)  # iteration 3 was past the checkpoint
    resumed.append(3, {"g_loss": 0.5, "d_loss": 0.25})
    resumed.flush()
    table = np.genfromtxt(path, delimiter=",", names=True)
    assert table.dtype.names == ("iteration", "d_loss", "g_loss")
    np.testing.assert_array_equal(table["iteration"], [1, 2, 3])
    np.testing.assert_allclose(table["g_loss"], [0.1, 0.2, 0.5])
    assert np.isnan(table["d_loss"][:2]).all() and table["d_loss"][2] == 0.25


def test_lr_decay_falls_linearly_to_zero(tiny_records, tmp_path, capsys):
    tr = tiny_trainer("segan", tmp_path, tiny_records, "--max_steps", "6", "--lr_decay", str(4 / 6),
                           "--g_learning_rate", "1e-3", "--d_learning_rate", "4e-4")
    rates = []
    for i in range(6):
        tr.set_learning_rates(i, 6)
        rates.append((float(tr.g_opt.learning_rate.numpy()), float(tr.d_opt.learning_rate.numpy())))
    np.testing.assert_allclose(rates, [(s * 1e-3, s * 4e-4) for s in (1, 1, 1, 0.75, 0.5, 0.25)], rtol=1e-6)
    with pytest.raises(SystemExit):  # argparse: the message is on stderr
        tiny_args("segan", tmp_path, tiny_records, "--lr_decay", "1.5")
    assert "--lr_decay: must be in [0, 1], got 1.5" in capsys.readouterr().err


def test_epoch_schedules():
    args = cli.parse("segan", [*TINY_MODEL, "--init_noise_std", "0.5", "--l1_remove_epoch", "3"])
    tr = Trainer(args.model, args.training)
    stds = []
    for epoch in range(1, 18):
        tr.end_of_epoch(epoch)
        stds.append(round(float(tr.disc.noise_std.numpy()), 6))
        assert float(tr.l1_lambda.numpy()) == (0.0 if epoch >= 3 else 100.0)
    assert stds[:4] == [0.5] * 4  # decay starts at --denoise_epoch 5
    assert stds[4] == pytest.approx(0.35) and stds[5] == pytest.approx(0.245)
    assert stds[-1] == 0.0 and 0 < min(s for s in stds if s > 0) >= 0.01


def state(tr):
    return tr.chain.variables + tr.disc.variables + tr.g_opt.variables + tr.d_opt.variables


def replica_pair(flags, records, tmp_path, two_replicas, one_replica):
    """Trainers on 2 replicas and on 1 with equal state, an 8-window batch with its z, its two halves,
    and the halves spread over the 2 replicas as step arguments."""
    two = tiny_trainer("isegan", tmp_path / "a", records, *flags, strategy=two_replicas)
    one = tiny_trainer("isegan", tmp_path / "b", records, *flags, strategy=one_replica)
    for a, b in zip(state(two), state(one)):
        b.assign(a.numpy())
    clean, noisy = fixed_batch(records, 8)
    zs = [tf.random.normal(two.cfg.z_shape(8)) for _ in range(2)]
    halves = [(clean[i:i + 4], noisy[i:i + 4], [z[i:i + 4] for z in zs]) for i in (0, 4)]

    def spread(pick):
        return two.strategy.experimental_distribute_values_from_function(
            lambda ctx: pick(halves[ctx.replica_id_in_sync_group]))

    args = (spread(lambda h: h[0]), spread(lambda h: h[1]), [spread(lambda h, n=n: h[2][n]) for n in range(2)])
    return two, one, (clean, noisy, zs), halves, args


@pytest.mark.slow
def test_two_replicas_average_their_gradients(tiny_records, tmp_path, two_replicas, one_replica):
    """A D and a G update on 2 replicas × B, each replica with its own VBN reference, equal the
    single-device updates with the mean of the two halves' gradients."""
    two, one, _, halves, args = replica_pair(["--iterations", "2", "--self_attention"], tiny_records, tmp_path,
                                             two_replicas, one_replica)
    for net, opt, variables in (("d", one.d_opt, one.disc.trainable_variables),
                                ("g", one.g_opt, one.chain.trainable_variables)):
        tf.function(getattr(two, f"{net}_step"))(*args)  # spreads over its replicas
        kept = [v.numpy() for v in one.chain.non_trainable_variables + one.disc.non_trainable_variables]
        grads = []
        for h in halves:  # each half starts from the same spectral-norm state, as each replica does
            for v, k in zip(one.chain.non_trainable_variables + one.disc.non_trainable_variables, kept):
                v.assign(k)
            grads.append(getattr(one, f"{net}_gradients")(*h)[0])
        opt.apply_gradients(zip([(a + b) / 2 for a, b in zip(*grads)], variables))
        for a, b in zip(state(two), state(one)):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=2e-4, atol=2e-6, err_msg=f"{net} {a.path}")


@pytest.mark.slow
def test_two_replicas_of_b_equal_one_of_2b_where_no_batch_statistics_enter(tiny_records, tmp_path, two_replicas,
                                                                          one_replica):
    """With the adversarial term off (no VBN in the loss), a G update on 2 replicas × B is the update
    on 1 × 2B: the gradient is a mean over replicas, not a sum."""
    two, one, whole, _, args = replica_pair(["--iterations", "2", "--adv_weight", "0"], tiny_records, tmp_path,
                                            two_replicas, one_replica)
    before = [v.numpy() for v in two.chain.trainable_variables]
    tf.function(two.g_step)(*args)
    tf.function(one.g_step)(*whole)
    for a, b in zip(two.chain.trainable_variables, one.chain.trainable_variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6, err_msg=a.path)
    assert sum(not np.array_equal(b, v.numpy()) for b, v in zip(before, two.chain.trainable_variables)) > 10
