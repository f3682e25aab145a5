"""The faithful GAN training step (docs/design.md §6-8) on tf.distribute: the models, their optimizers, one
compiled iteration and the reference's schedules. The run directory's side (resume, checkpoints,
flags.json, logs, validation) is common/training/training_run.py.

One iteration = one D update on one mini-batch, then one G update on the next mini-batch, each with
fresh z; per-replica batches, VBN reference from each replica's own real batch, gradients averaged over
replicas (each replica's loss is divided by the replica count; Keras sums across replicas). Epoch-end
schedules: D input-noise decay, L1 removal; optional linear learning-rate decay (--lr_decay).
Opt-in speed (not the paper's): --mixed_precision bfloat16|float16 builds the models under Keras' mixed
policy, float16 with dynamic loss scaling (common/nn/loss_scale.py); --xla compiles each step's forward and
backward passes (xla_compiled).
"""
from __future__ import annotations

import dataclasses
import os

import keras
import numpy as np
import tensorflow as tf

from common.audio import tfdata
from common.config.model_config import ModelConfig
from common.config.batch_rule import resolve_batch
from common.config.train_config import TrainConfig
from common.models.build import build_models
from common.models.checkpoint_match import restore_exactly
from common.nn import conv_kernels, losses, spectral_norm
from common.nn.loss_scale import DynamicLossScale
from common.nn.optim import TF1RMSProp
from common.nn.stft_loss import MIN_LENGTH
from common.system.errors import UserError


def default_strategy() -> tf.distribute.Strategy:
    """Several workers (TF_CONFIG) → MultiWorkerMirrored; otherwise Mirrored over the visible GPUs
    (one CPU device when there is none)."""
    if '"worker"' in os.environ.get("TF_CONFIG", "").replace(" ", ""):
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.MirroredStrategy([d.name for d in gpus] or ["/cpu:0"])


class Trainer:
    def __init__(self, cfg: ModelConfig, training: TrainConfig, strategy: tf.distribute.Strategy | None = None,
                 batch_origin: str = "flag"):
        """`batch_origin`: where a set --batch_size came from ('flag' or 'recipe', for the start line); unset, the
        batch rule gives it (common/config/batch_rule.py)."""
        self.strategy = strategy or default_strategy()
        self.replicas = self.strategy.num_replicas_in_sync
        try:
            self.batch = resolve_batch(cfg, training, self.replicas, batch_origin)
        except ValueError as e:
            raise UserError(str(e)) from None
        training = dataclasses.replace(training, batch_size=self.batch.per_replica)
        if training.stft_weight and cfg.canvas_size < MIN_LENGTH:
            raise UserError(f"--stft_weight needs a canvas of at least {MIN_LENGTH} samples, got {cfg.canvas_size}")
        self.cfg, self.training = cfg, training
        # --adv_weight 0: G's loss is L1 alone, which D cannot affect, so D is neither run nor trained
        # (nor before --adv_start)
        self.adversarial = training.adv_weight != 0
        if training.seed is not None:
            keras.utils.set_random_seed(training.seed)  # the initial weights
        self.kernels = conv_kernels.resolve(training.kernels)  # the layers' forms (--kernels auto: by the machine)
        with self.strategy.scope():
            self.chain, self.disc = build_models(cfg, training.mixed_precision, self.kernels)
            self.g_opt = TF1RMSProp(training.g_learning_rate, name="g_rmsprop")
            self.d_opt = TF1RMSProp(training.d_learning_rate, name="d_rmsprop")
            self.g_opt.build(self.chain.trainable_variables)
            self.d_opt.build(self.disc.trainable_variables)
            self.iteration = tf.Variable(0, dtype=tf.int64, trainable=False, name="iteration")
            self.l1_lambda = tf.Variable(training.init_l1_weight, dtype=tf.float32, trainable=False,
                                         name="l1_lambda")
            self.disc.noise_std.assign(training.init_noise_std)
            self.d_scale, self.g_scale = ((DynamicLossScale("d_loss_scale"), DynamicLossScale("g_loss_scale"))
                                          if training.mixed_precision == "float16" else (None, None))
        # what a checkpoint holds: the models, the optimizer state, the iteration and the schedules' state
        # (and with float16 the loss scales, which a checkpoint of another precision lacks: restore())
        self.state = dict(chain=self.chain, discriminator=self.disc, g_opt=self.g_opt, d_opt=self.d_opt,
                          iteration=self.iteration, l1_lambda=self.l1_lambda)
        self.loss_scales = {s.name: s for s in (self.d_scale, self.g_scale) if s is not None}
        self.checkpoint = tf.train.Checkpoint(**self.state, **self.loss_scales)
        # the forward and backward passes of a D and a G step, XLA-compiled with --xla
        self.d_grads, self.g_grads = ((xla_compiled(self.d_gradients), xla_compiled(self.g_gradients))
                                      if training.xla else (self.d_gradients, self.g_gradients))
        # step(iterator): one iteration (D step unless L1-only, G step), compiled; the loss terms averaged
        # over replicas
        self.step = tf.function(self._iteration)

    # ---- one iteration -------------------------------------------------------------------
    def d_gradients(self, clean, noisy, zs=None):
        """Gradients of this replica's share of L_D (L_D / replicas) and the loss terms."""
        stages = self.chain(noisy, zs=zs)
        with tf.GradientTape() as tape:
            d_real, *d_fakes = self.disc.logits_of(clean, [clean, *stages], noisy)
            loss, terms = losses.d_loss(d_real, d_fakes)
            share = self._share(loss, self.d_scale)
        return tape.gradient(share, self.disc.trainable_variables), {"d_loss": loss, **terms}

    def g_gradients(self, clean, noisy, zs=None, adversarial=None):
        """Gradients of this replica's share of L_G (L_G / replicas) and the loss terms; `adversarial`
        (default: the run's) False: of L1 alone."""
        adversarial = self.adversarial if adversarial is None else adversarial
        with tf.GradientTape() as tape:
            stages = self.chain(noisy, zs=zs)
            fakes = self.disc.logits_of(clean, stages, noisy) if adversarial else None
            loss, terms = losses.g_loss(fakes, stages, clean, self.l1_lambda, self.training.adv_weight,
                                         self.training.stft_weight, self.training.preemph)
            share = self._share(loss, self.g_scale)
        return tape.gradient(share, self.chain.trainable_variables), {"g_loss": loss, **terms}

    def _share(self, loss, loss_scale):
        """This replica's share of a loss (Keras sums the replicas' gradients), times the loss scale if any."""
        share = loss / self.replicas
        return share if loss_scale is None else share * loss_scale.scale

    def d_step(self, clean, noisy, zs=None):
        """One D update on a batch (distributed, or the same on every replica); each replica's loss terms."""
        return self._update(self.d_grads, self.d_opt, self.disc, self.d_scale, (clean, noisy, zs))

    def g_step(self, clean, noisy, zs=None, adversarial=None):
        """One G update, as d_step."""
        return self._update(self.g_grads, self.g_opt, self.chain, self.g_scale, (clean, noisy, zs, adversarial))

    def _update(self, gradients, opt, model, loss_scale, batch):
        variables = model.trainable_variables
        if loss_scale is None:  # each replica computes and applies (the optimizer sums the gradients)
            def step(*args):
                grads, values = gradients(*args)
                opt.apply_gradients(zip(grads, variables))
                return values
            return self.strategy.run(step, args=batch)

        def scaled_step(*args):
            grads, values = gradients(*args)
            return (*loss_scale.unscaled(grads), values)
        grads, overflows, values = self.strategy.run(scaled_step, args=batch)
        finite = self.strategy.reduce(tf.distribute.ReduceOp.SUM, overflows, axis=None) == 0

        def apply():  # a cross-replica branch: an optimizer's apply may not sit in a replica's condition
            self.strategy.run(lambda g: opt.apply_gradients(zip(g, variables)), args=(grads,))
            return tf.constant(True)
        tf.cond(finite, apply, lambda: tf.constant(False))
        loss_scale.update(finite)
        return values

    def adversarial_at(self, i: int) -> bool:
        """Whether iteration i (0-based) trains D and G's adversarial term (--adv_weight, --adv_start)."""
        return self.adversarial and i >= self.training.adv_start

    def _iteration(self, iterator, adversarial=None):
        """`adversarial` (default: the run's) False: G on L1 alone, D idle (two traces at most)."""
        adversarial = self.adversarial if adversarial is None else adversarial
        d_batch = next(iterator)  # drawn even when D is off: G sees the batches it sees in the paper's loop
        d = self.d_step(*d_batch) if adversarial else {}
        g = self.g_step(*next(iterator), adversarial=adversarial)
        self.iteration.assign_add(1)
        mean = tf.distribute.ReduceOp.MEAN
        return {k: self.strategy.reduce(mean, v, axis=None) for k, v in {**d, **g}.items()}

    # ---- schedules -------------------------------------------------------------------------
    def set_learning_rates(self, i: int, total: int) -> None:
        """--lr_decay F: over the last F of the iterations both rates fall linearly, reaching 0 after the last."""
        t = self.training
        if not t.lr_decay:
            return
        k = total - max(1, round(t.lr_decay * total))  # the first iteration that decays
        if i < k:
            return
        scale = (total - i) / (total - k)
        self.g_opt.learning_rate.assign(t.g_learning_rate * scale)
        self.d_opt.learning_rate.assign(t.d_learning_rate * scale)

    def reset_learning_rates(self) -> None:
        """The configured rates (after a restore: a change accepted by --allow_changes wins over the
        checkpoint's)."""
        self.g_opt.learning_rate.assign(self.training.g_learning_rate)
        self.d_opt.learning_rate.assign(self.training.d_learning_rate)

    def end_of_epoch(self, epoch: int) -> None:
        """The reference's epoch-end rules: L1 off from --l1_remove_epoch; from --denoise_epoch the
        D input-noise std decays by --noise_decay per epoch until below --denoise_lbound, then 0."""
        a = self.training
        if epoch >= a.l1_remove_epoch:
            self.l1_lambda.assign(0.0)
        std = float(self.disc.noise_std.numpy())
        if epoch >= a.denoise_epoch and std > 0:
            std *= a.noise_decay
            self.disc.noise_std.assign(0.0 if std < a.denoise_lbound else std)

    def restore(self, prefix: str) -> None:
        """Every variable from checkpoint `prefix`, which must hold exactly this state (CheckpointMismatch); a
        float16 run's loss scales only if it has them (a checkpoint of another precision starts them afresh, and
        a float16 checkpoint's are left unread by another precision)."""
        present = tf.train.CheckpointView(prefix).children(0)
        restore_exactly(prefix, {**self.state, **{k: s for k, s in self.loss_scales.items() if k in present}})

    def loss_scale_state(self) -> dict:
        """float16: each loss scale and the steps it skipped so far ({} in the other precisions)."""
        out = {}
        for key, loss_scale in self.loss_scales.items():
            out[key] = float(loss_scale.scale.numpy())
            out[key.replace("loss_scale", "skipped_steps")] = int(loss_scale.skipped.numpy())
        return out

    def weights_finite(self) -> bool:
        variables = self.chain.trainable_variables + self.disc.trainable_variables
        return bool(tf.reduce_all([tf.reduce_all(tf.math.is_finite(v)) for v in variables]))

    def batches(self, start: int):
        """The iterator of distributed training batches of a run (re)started at iteration `start`."""
        t = self.training
        return iter(tfdata.distributed_dataset(
            self.strategy, t.e2e_dataset, t.batch_size, canvas=self.cfg.canvas_size, preemph=t.preemph,
            shuffle_buffer=t.shuffle_buffer, seed=None if t.seed is None else stream_seed(t.seed, start)))


def xla_compiled(fn):
    """`fn` compiled with XLA; the spectral-norm updates it makes are returned out of the compiled function
    and assigned after it, where the replicas can synchronise them."""
    targets = []

    def body(*args):
        with spectral_norm.deferred_updates() as pending:
            out = fn(*args)
        targets[:] = [u for u, _ in pending.values()]
        return out, [value for _, value in pending.values()]

    compiled = tf.function(body, jit_compile=True)

    def run(*args):
        out, values = compiled(*args)
        for u, value in zip(targets, values):
            u.assign(value)
        return out

    return run


def stream_seed(seed: int, start: int) -> int:
    """The seed of the data order and z of a run (re)started at iteration `start`: the run's seed at 0,
    a seed derived from both otherwise (a resumed run does not replay iteration 0's data and z)."""
    return seed if start == 0 else int(np.random.SeedSequence([seed, start]).generate_state(1)[0] >> 1)
