"""The faithful GAN training loop (SPEC Part A §6-8) on tf.distribute.

One iteration = one D update on one mini-batch, then one G update on the next mini-batch, each with
fresh z; per-replica batches, VBN reference from each replica's own real batch, gradients averaged over
replicas (each replica's loss is divided by the replica count; Keras sums across replicas). Epoch-end
schedules (D input-noise decay, L1 removal), checkpoints every --save_freq iterations keeping the last
--keep_checkpoints (numbered by iteration), resume, a NaN guard, TensorBoard and the loss history
(common/loss_history.py). Optional validation (--valid_wav_dir, not the paper's; common/validation.py)
at checkpoints.
"""
from __future__ import annotations

import math
import os
import time

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.checkpoint import checkpoint_management  # TF pinned in requirements.txt
from tqdm import tqdm

from common import config, data, losses, records, rundir
from common.audio import de_emphasis
from common.errors import FlagsMismatch, InputError, RunDirError
from common.models import build_models
from common.quiet_tf import quiet_audio_summary
from common.optim import TF1RMSProp
from common.loss_history import LossHistory
from common.rundir import LOG_DIR, LOSS_FILE, warn
from common.validation import Validator


class TrainingDiverged(RuntimeError):
    pass


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the run's checkpoints and logs (always, unless multi-worker)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    return (resolver.task_type == "worker" and resolver.task_id == 0
            and "chief" not in resolver.cluster_spec().as_dict())


def default_strategy() -> tf.distribute.Strategy:
    """Several workers (TF_CONFIG) → MultiWorkerMirrored; otherwise Mirrored over the visible GPUs
    (one CPU device when there is none)."""
    if '"worker"' in os.environ.get("TF_CONFIG", "").replace(" ", ""):
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.MirroredStrategy([d.name for d in gpus] or ["/cpu:0"])


class Trainer:
    def __init__(self, args, strategy: tf.distribute.Strategy | None = None):
        self.args = args
        self.cfg = config.model_config(args)
        self.strategy = strategy or default_strategy()
        self.replicas = self.strategy.num_replicas_in_sync
        self.run_dir = args.save_path
        # --adv_weight 0: G's loss is L1 alone, which D cannot affect, so D is neither run nor trained
        self.adversarial = args.adv_weight != 0
        if args.seed is not None:
            keras.utils.set_random_seed(args.seed)  # the initial weights
        with self.strategy.scope():
            self.chain, self.disc = build_models(self.cfg)
            self.g_opt = TF1RMSProp(args.g_learning_rate, name="g_rmsprop")
            self.d_opt = TF1RMSProp(args.d_learning_rate, name="d_rmsprop")
            self.g_opt.build(self.chain.trainable_variables)
            self.d_opt.build(self.disc.trainable_variables)
            self.iteration = tf.Variable(0, dtype=tf.int64, trainable=False, name="iteration")
            self.l1_lambda = tf.Variable(args.init_l1_weight, dtype=tf.float32, trainable=False, name="l1_lambda")
            self.disc.noise_std.assign(args.init_noise_std)
        self.checkpoint = tf.train.Checkpoint(chain=self.chain, discriminator=self.disc, g_opt=self.g_opt,
                                              d_opt=self.d_opt, iteration=self.iteration, l1_lambda=self.l1_lambda)
        self.chief = is_chief(self.strategy)
        self.checkpoint_dir = os.path.join(self.run_dir, rundir.CHECKPOINT_DIR)
        self.manager = self._open_manager()
        # step(iterator): one iteration (D step unless L1-only, G step), compiled; the loss terms averaged
        # over replicas
        self.step = tf.function(self._iteration)

    def _open_manager(self) -> tf.train.CheckpointManager:
        # every worker of a multi-worker run saves (the save is collective); only the chief's copy is kept
        own_dir = self.checkpoint_dir if self.chief else os.path.join(
            self.run_dir, "worker_tmp", str(self.strategy.cluster_resolver.task_id))
        return tf.train.CheckpointManager(self.checkpoint, own_dir,
                                          max_to_keep=self.args.keep_checkpoints if self.chief else 1)

    # ---- one iteration -------------------------------------------------------------------
    def d_gradients(self, clean, noisy, zs=None):
        """Gradients of this replica's share of L_D (L_D / replicas) and the loss terms."""
        stages = self.chain(noisy, zs=zs)
        with tf.GradientTape() as tape:
            ref = self.disc.reference(clean, noisy)
            d_real = self.disc(clean, noisy, ref)
            loss, terms = losses.d_loss(d_real, [self.disc(s, noisy, ref) for s in stages])
            scaled = loss / self.replicas
        return tape.gradient(scaled, self.disc.trainable_variables), {"d_loss": loss, **terms}

    def g_gradients(self, clean, noisy, zs=None):
        """Gradients of this replica's share of L_G (L_G / replicas) and the loss terms."""
        with tf.GradientTape() as tape:
            stages = self.chain(noisy, zs=zs)
            fakes = None
            if self.adversarial:
                ref = self.disc.reference(clean, noisy)
                fakes = [self.disc(s, noisy, ref) for s in stages]
            loss, terms = losses.g_loss(fakes, stages, clean, self.l1_lambda, self.args.adv_weight)
            scaled = loss / self.replicas
        return tape.gradient(scaled, self.chain.trainable_variables), {"g_loss": loss, **terms}

    def d_step(self, clean, noisy, zs=None):
        grads, values = self.d_gradients(clean, noisy, zs)
        self.d_opt.apply_gradients(zip(grads, self.disc.trainable_variables))
        return values

    def g_step(self, clean, noisy, zs=None):
        grads, values = self.g_gradients(clean, noisy, zs)
        self.g_opt.apply_gradients(zip(grads, self.chain.trainable_variables))
        return values

    def _iteration(self, iterator):
        d_batch = next(iterator)  # drawn even when D is off: G sees the batches it sees in the paper's loop
        d = self.strategy.run(self.d_step, args=d_batch) if self.adversarial else {}
        g = self.strategy.run(self.g_step, args=next(iterator))
        self.iteration.assign_add(1)
        mean = tf.distribute.ReduceOp.MEAN
        return {k: self.strategy.reduce(mean, v, axis=None) for k, v in {**d, **g}.items()}

    # ---- schedules -------------------------------------------------------------------------
    def set_learning_rates(self, i: int, total: int) -> None:
        """--lr_decay F: over the last F of the iterations both rates fall linearly, reaching 0 after the last."""
        if not self.args.lr_decay:
            return
        k = total - max(1, round(self.args.lr_decay * total))  # the first iteration that decays
        if i < k:
            return
        scale = (total - i) / (total - k)
        self.g_opt.learning_rate.assign(self.args.g_learning_rate * scale)
        self.d_opt.learning_rate.assign(self.args.d_learning_rate * scale)

    def end_of_epoch(self, epoch: int) -> None:
        """The reference's epoch-end rules: L1 off from --l1_remove_epoch; from --denoise_epoch the
        D input-noise std decays by --noise_decay per epoch until below --denoise_lbound, then 0."""
        a = self.args
        if epoch >= a.l1_remove_epoch:
            self.l1_lambda.assign(0.0)
        std = float(self.disc.noise_std.numpy())
        if epoch >= a.denoise_epoch and std > 0:
            std *= a.noise_decay
            self.disc.noise_std.assign(0.0 if std < a.denoise_lbound else std)

    # ---- checkpoints -----------------------------------------------------------------------
    def restore(self) -> int:
        """Resume from the newest readable checkpoint of the run directory, if any; returns the iteration.
        An unreadable checkpoint (a kill or a full disk during a save) is named in a warning and moved to
        RUN/corrupt/ by the chief; the next older one is tried."""
        for step in reversed(rundir.checkpoint_steps(self.run_dir)):
            prefix = rundir.checkpoint_prefix(self.run_dir, step)
            try:
                rundir.verify(prefix)
            except rundir.CheckpointError as e:
                where = f"moved to {rundir.quarantine(self.run_dir, prefix)}" if self.chief else "skipped"
                warn(f"{e}; {where}; falling back to the previous checkpoint")
                continue
            try:
                self.checkpoint.restore(prefix).assert_existing_objects_matched()
            except (AssertionError, ValueError, tf.errors.InvalidArgumentError) as e:
                raise RunDirError(f"{prefix} does not match this model's flags: {e}") from None
            self.g_opt.learning_rate.assign(self.args.g_learning_rate)  # a change accepted by --allow_changes
            self.d_opt.learning_rate.assign(self.args.d_learning_rate)  # wins over the checkpoint's rate
            return int(self.iteration.numpy())
        return 0

    def _sync_manager(self) -> None:
        """Point TensorFlow's checkpoint state at the files on disk (a kill between writing a checkpoint
        and its state, or a quarantined file, leaves them apart), so that --keep_checkpoints sees all."""
        steps = rundir.checkpoint_steps(self.run_dir)
        if self.chief and steps:
            paths = [rundir.checkpoint_prefix(self.run_dir, s) for s in steps]
            stamps = [os.path.getmtime(p + ".index") for p in paths]
            # the public tf.compat.v1 twin logs a deprecation warning; timestamps after the "preserved"
            # one keep every listed checkpoint under --keep_checkpoints' deletion
            checkpoint_management.update_checkpoint_state_internal(
                self.checkpoint_dir, paths[-1], paths, save_relative_paths=True,
                all_model_checkpoint_timestamps=stamps, last_preserved_timestamp=min(stamps) - 1)
        self.manager = self._open_manager()

    def weights_finite(self) -> bool:
        variables = self.chain.trainable_variables + self.disc.trainable_variables
        return bool(tf.reduce_all([tf.reduce_all(tf.math.is_finite(v)) for v in variables]))

    def save(self) -> str:
        if not self.weights_finite():
            raise TrainingDiverged(f"weights are not finite at iteration {int(self.iteration.numpy())}; "
                                   f"not saved (last good checkpoint: {self.manager.latest_checkpoint})")
        return self.manager.save(checkpoint_number=self.iteration)

    # ---- the loop --------------------------------------------------------------------------
    def begin(self) -> tuple[int, int, int]:
        """Check the run directory against these flags, clean up after a killed save, restore, and write
        flags.json; returns (start iteration, total iterations, iterations per epoch)."""
        a = self.args
        windows = records.count_windows(a.e2e_dataset)
        if windows < self.replicas * a.batch_size:
            raise InputError(f"{a.e2e_dataset} holds {windows} windows, fewer than one batch "
                             f"({self.replicas} replica(s) x {a.batch_size})")
        per_epoch = math.ceil(windows / (self.replicas * a.batch_size))
        total = a.epoch * per_epoch if a.max_steps is None else min(a.epoch * per_epoch, a.max_steps)
        now = rundir.record(a, self.replicas, rundir.dataset_identity(a.e2e_dataset, windows))
        if self.chief:
            for path in rundir.remove_temp(self.run_dir):
                warn(f"removed {path}, left by a checkpoint save that was killed midway")
        diff = self.check_flags(now) if rundir.checkpoint_steps(self.run_dir) else []
        start = self.restore()  # λ and the noise std are in the checkpoint: schedules resume as they were
        self._sync_manager()
        if diff:
            now["changes"].append({"iteration": start, "changes": diff})
            warn(f"continuing {self.run_dir} with changed flags (recorded in {rundir.FLAGS_FILE}): "
                 + "; ".join(diff))
        if self.chief:
            rundir.write_flags(self.run_dir, now)
        self.announce(start, total, per_epoch, windows)
        if a.seed is not None:  # a resumed run draws data order and z from a stream of its own
            tf.random.set_seed(stream_seed(a.seed, start))
        return start, total, per_epoch

    def check_flags(self, now: dict) -> list[str]:
        """The run-shaping differences between the saved run and `now` (whose change history it takes
        over): none allowed in the model, others only with --allow_changes."""
        saved = rundir.load_flags(self.run_dir)
        now["changes"] = saved["changes"]
        diff = rundir.differences(saved, now)
        model = rundir.differences(saved, {**saved, "model": now["model"]})
        if model or (diff and not self.args.allow_changes):
            raise FlagsMismatch(f"{self.run_dir} holds a run with other flags (saved vs now):\n  "
                                + "\n  ".join(diff) + "\nuse another --save_path"
                                + ("" if model else ", the run's flags, or --allow_changes to continue it with these"))
        return diff

    def announce(self, start: int, total: int, per_epoch: int, windows: int) -> None:
        a, name = self.args, self.run_dir
        listed = [d for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip() not in ("", "-1")]
        print(f"{name}: {self.replicas} replica(s) x {a.batch_size} windows = {self.replicas * a.batch_size} "
              f"windows per batch; {windows} windows, {per_epoch} iterations per epoch, {total} iterations")
        if len(listed) > self.replicas:
            uses = (f"{self.replicas} replica(s)" if tf.config.list_logical_devices("GPU") else
                    "none of them (training on the CPU)")
            warn(f"CUDA_VISIBLE_DEVICES={','.join(listed)} names {len(listed)} GPUs but TensorFlow uses {uses}: "
                 f"each batch is {self.replicas * a.batch_size} windows, not {len(listed) * a.batch_size}")
        if start >= total:
            print(f"{name} is complete ({start} of {total} iterations); nothing to train")
        elif start:
            print(f"resuming {name} from ckpt-{start} (iteration {start} of {total})")

    def train(self) -> int:
        a = self.args
        start, total, per_epoch = self.begin()
        if start >= total:
            return total
        iterator = iter(data.distributed_dataset(
            self.strategy, a.e2e_dataset, a.batch_size, canvas=a.canvas_size, preemph=a.preemph,
            shuffle_buffer=a.shuffle_buffer, seed=None if a.seed is None else stream_seed(a.seed, start)))
        if self.chief:
            writer = tf.summary.create_file_writer(os.path.join(self.run_dir, LOG_DIR))
            history = LossHistory(os.path.join(self.run_dir, LOSS_FILE), start)
        else:
            writer, history = tf.summary.create_noop_writer(), LossHistory(os.devnull, start)
        validator = Validator(self.chain, a.valid_wav_dir, a.canvas_size, a.preemph, self.run_dir) \
            if a.valid_wav_dir and self.chief else None
        bar = tqdm(total=total, initial=start, unit="it", desc=os.path.basename(os.path.normpath(self.run_dir)))
        tick, last_log = time.perf_counter(), start
        for i in range(start, total):
            self.set_learning_rates(i, total)
            try:
                values = {k: float(v) for k, v in self.step(iterator).items()}
            except tf.errors.DataLossError:
                records.count_windows(a.e2e_dataset, verify=True)  # names the corrupt file
                raise
            done = i + 1
            if not all(np.isfinite(list(values.values()))):
                raise TrainingDiverged(
                    f"non-finite loss at iteration {done}: {values}; stopped without saving "
                    f"(last good checkpoint: {self.manager.latest_checkpoint})")
            if done % per_epoch == 0:
                self.end_of_epoch(done // per_epoch)
            values.update(l1_lambda=float(self.l1_lambda.numpy()), noise_std=float(self.disc.noise_std.numpy()),
                          epoch=done / per_epoch)
            if done % a.log_freq == 0 or done == total:
                now = time.perf_counter()
                rate = 2 * a.batch_size * self.replicas * (done - last_log) / (now - tick)
                tick, last_log = now, done
                with writer.as_default(step=done):
                    for k, v in values.items():
                        tf.summary.scalar(k, v)
                    tf.summary.scalar("windows_per_s", rate)
            history.append(done, values)
            bar.set_postfix({k[0]: f"{values[k]:.3f}" for k in ("d_loss", "g_loss") if k in values}, refresh=False)
            bar.update(1)
            if done % a.save_freq == 0 or done == total:
                history.flush()  # first: a kill between the two leaves rows past the checkpoint, cut on resume
                path = self.save()
                self.log_audio(writer, done)
                if validator and (done % (a.save_freq * a.valid_every) == 0 or done == total):
                    validator(done, path, writer)
        bar.close()
        history.flush()
        return total

    def log_audio(self, writer, step: int) -> None:
        """A few enhanced windows of the first test-like batch, to TensorBoard."""
        if not hasattr(self, "_audio_batch"):
            ds = data.make_dataset(self.args.e2e_dataset, 3, canvas=self.args.canvas_size, preemph=self.args.preemph,
                                   shuffle_buffer=0, repeat=False)
            self._audio_batch = next(iter(ds))
        clean, noisy = self._audio_batch
        enhanced = self.chain(noisy)[-1]
        with writer.as_default(step=step):
            for name, x in (("noisy", noisy), ("enhanced", enhanced), ("clean", clean)):
                quiet_audio_summary(name, de_emphasis(x.numpy()[..., 0], self.args.preemph)[..., None], 16000,
                                    max_outputs=3)


def stream_seed(seed: int, start: int) -> int:
    """The seed of the data order and z of a run (re)started at iteration `start`: the run's seed at 0,
    a seed derived from both otherwise (a resumed run does not replay iteration 0's data and z)."""
    return seed if start == 0 else int(np.random.SeedSequence([seed, start]).generate_state(1)[0] >> 1)
