"""A training run in its run directory (common/rundir/): the Trainer's loop with what makes it a run.

Before the first iteration: the run directory checked against the flags (flags.json; a model change never,
other run-shaping changes only with --allow_changes, recorded), the leftovers of a killed save removed,
the newest readable checkpoint restored (an unreadable one is named and moved to RUN/corrupt/), and
flags.json written. Then the loop: checkpoints every --save_freq iterations keeping the last
--keep_checkpoints (numbered by iteration), a NaN guard, the loss history, TensorBoard scalars and audio,
and validation at checkpoints (--valid_wav_dir, not the paper's); SIGTERM or SIGINT saves at the current
iteration and stops. In a multi-worker run only the chief writes to the run directory.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import shutil
import time

import numpy as np
import tensorflow as tf

from common.audio import records, tfdata
from common.audio.audio import de_emphasis
from common.config.command import Command
from common.nn.spectral_norm import deferred_updates
from common.rundir import checkpoint_files, flags_file, layout
from common.rundir.checkpoint_files import warn
from common.rundir.layout import LOG_DIR, LOSS_FILE
from common.system.errors import FlagsMismatch, InputError, RunDirError, TrainingDiverged
from common.system.quiet_tf import quiet_audio_summary
from common.system.stop_signals import GracefulStop, StopRequests
from common.training.loss_history import LossHistory
from common.training.trainer import Trainer, stream_seed
from common.training.validation import Validator
from common.system.progress import progress


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the run's checkpoints and logs (always, unless multi-worker)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    return (resolver.task_type == "worker" and resolver.task_id == 0
            and "chief" not in resolver.cluster_spec().as_dict())


class TrainingRun:
    """Train a command's model in its run directory (--save_path)."""

    def __init__(self, command: Command, strategy: tf.distribute.Strategy | None = None):
        self.trainer = Trainer(command.model, command.training, strategy, command.batch_origin)
        self.training = self.trainer.training  # with the batch it came to
        self.command = dataclasses.replace(command, training=self.training)  # recorded in flags.json
        self.run_dir = self.training.save_path
        self.chief = is_chief(self.trainer.strategy)
        self.checkpoint_dir = os.path.join(self.run_dir, layout.CHECKPOINT_DIR)
        if not self.chief:
            self.worker_dir = os.path.join(self.run_dir, layout.WORKER_DIR,
                                           str(self.trainer.strategy.cluster_resolver.task_id))
        self.manager = self._open_manager()

    def _open_manager(self) -> tf.train.CheckpointManager:
        # every worker of a multi-worker run saves (the save is collective); only the chief's copy is kept
        own_dir = self.checkpoint_dir if self.chief else self.worker_dir
        return tf.train.CheckpointManager(self.trainer.checkpoint, own_dir,
                                          max_to_keep=self.training.keep_checkpoints if self.chief else 1)

    # ---- checkpoints -----------------------------------------------------------------------
    def restore(self) -> int:
        """Resume from the newest readable checkpoint of the run directory, if any; returns the iteration.
        An unreadable checkpoint (a kill or a full disk during a save) is named in a warning and moved to
        RUN/corrupt/ by the chief; the next older one is tried. A run whose checkpoints are all unreadable
        (now or before, in corrupt/) stops: starting over would silently overwrite its history."""
        steps = checkpoint_files.checkpoint_steps(self.run_dir)
        for n, step in enumerate(reversed(steps)):
            prefix = checkpoint_files.checkpoint_prefix(self.run_dir, step)
            try:
                checkpoint_files.verify(prefix)
            except checkpoint_files.CheckpointError as e:
                where = f"moved to {checkpoint_files.quarantine(self.run_dir, prefix)}" if self.chief else "skipped"
                warn(f"{e}; {where}" + ("; falling back to the previous checkpoint" if n + 1 < len(steps) else ""))
                continue
            try:
                self.trainer.restore(prefix)
            except (AssertionError, ValueError, tf.errors.InvalidArgumentError) as e:
                raise RunDirError(f"{prefix} does not match this model's flags: "
                                  f"{str(e).splitlines()[0][:300]}") from None
            self.trainer.reset_learning_rates()
            return int(self.trainer.iteration.numpy())
        lost = sorted(set(steps) | set(checkpoint_files.checkpoint_steps(self.run_dir, layout.CORRUPT_DIR)))
        if lost:
            raise RunDirError(
                f"{self.run_dir}: no readable checkpoint to resume from (ckpt-{', ckpt-'.join(map(str, lost))} "
                f"unreadable, in {os.path.join(self.run_dir, layout.CORRUPT_DIR)}); not starting over, which would "
                f"overwrite the run's {LOSS_FILE}: train into another --save_path, or move this one aside")
        return 0

    def _sync_manager(self) -> None:
        """Point TensorFlow's checkpoint state at the files on disk (a kill between writing a checkpoint
        and its state, or a quarantined file, leaves them apart), so that --keep_checkpoints sees all."""
        steps = checkpoint_files.checkpoint_steps(self.run_dir)
        if self.chief and steps:
            paths = [checkpoint_files.checkpoint_prefix(self.run_dir, s) for s in steps]
            stamps = [os.path.getmtime(p + ".index") for p in paths]
            names = [os.path.basename(p) for p in paths]  # relative to the folder, as the manager writes them
            # CheckpointManager has no public way to adopt files, hence TF1's state call (its deprecation warning
            # silenced); timestamps after the "preserved" one keep all listed under --keep_checkpoints' deletion
            logger = tf.get_logger()
            level = logger.level
            logger.setLevel("ERROR")
            try:
                tf.compat.v1.train.update_checkpoint_state(
                    os.path.abspath(self.checkpoint_dir), names[-1], names,
                    all_model_checkpoint_timestamps=stamps, last_preserved_timestamp=min(stamps) - 1)
            finally:
                logger.setLevel(level)
        self.manager = self._open_manager()

    def save(self) -> str:
        if not self.trainer.weights_finite():
            raise TrainingDiverged(f"weights are not finite at iteration {int(self.trainer.iteration.numpy())}; "
                                   f"not saved (last good checkpoint: {self.manager.latest_checkpoint})")
        try:
            return self.manager.save(checkpoint_number=self.trainer.iteration)
        except tf.errors.OpError as e:  # the file system's fault (a full disk, a quota, no permission)
            if self.chief:
                checkpoint_files.remove_temp(self.run_dir)  # give back the space the half save took
            folder = self.checkpoint_dir if self.chief else self.worker_dir
            free = shutil.disk_usage(folder).free / 1e6 if os.path.isdir(folder) else float("nan")
            latest = self.manager.latest_checkpoint
            raise RunDirError(f"{folder}: checkpoint of iteration {int(self.trainer.iteration.numpy())} not saved "
                              f"({e.message.split(';')[-1].strip()[:200]}; {free:.1f} MB free there); "
                              + (f"the same command resumes from {os.path.basename(latest)}" if latest else
                                 "no checkpoint saved yet")) from None

    # ---- before the first iteration ------------------------------------------------------------
    def begin(self) -> tuple[int, int, int]:
        """Check the run directory against these flags, clean up after a killed save, restore, and write
        flags.json; returns (start iteration, total iterations, iterations per epoch)."""
        t, replicas = self.training, self.trainer.replicas
        records.check_canvas(t.e2e_dataset, self.trainer.cfg.canvas_size)
        windows = records.count_windows(t.e2e_dataset)
        if windows < replicas * t.batch_size:
            raise InputError(f"{t.e2e_dataset} holds {windows} windows, fewer than one batch "
                             f"({replicas} replica(s) x {t.batch_size})")
        per_epoch = math.ceil(windows / (replicas * t.batch_size))
        total = t.epoch * per_epoch if t.max_steps is None else min(t.epoch * per_epoch, t.max_steps)
        now = flags_file.record(self.command, replicas, flags_file.dataset_identity(t.e2e_dataset, windows))
        if self.chief:
            for path in checkpoint_files.remove_temp(self.run_dir):
                warn(f"removed {path}, left by a checkpoint save that was killed midway")
        diff = self.check_flags(now) if checkpoint_files.checkpoint_steps(self.run_dir) else []
        start = self.restore()  # λ and the noise std are in the checkpoint: schedules resume as they were
        self._sync_manager()
        if diff:
            now["changes"].append({"iteration": start, "changes": diff})
            warn(f"continuing {self.run_dir} with changed flags (recorded in {layout.FLAGS_FILE}): "
                 + "; ".join(diff))
        if self.chief:
            flags_file.write_flags(self.run_dir, now)
        self.announce(start, total, per_epoch, windows)
        if t.seed is not None:  # a resumed run draws data order and z from a stream of its own
            tf.random.set_seed(stream_seed(t.seed, start))
        return start, total, per_epoch

    def check_flags(self, now: dict) -> list[str]:
        """The run-shaping differences between the saved run and `now` (whose change history it takes
        over): none allowed in the model, others only with --allow_changes."""
        saved = flags_file.load_flags(self.run_dir)
        now["changes"] = saved["changes"]
        diff = flags_file.differences(saved, now)
        model = flags_file.differences(saved, {**saved, "model": now["model"]})
        if model or (diff and not self.training.allow_changes):
            raise FlagsMismatch(f"{self.run_dir} holds a run with other flags (saved vs now):\n  "
                                + "\n  ".join(diff) + "\nuse another --save_path"
                                + ("" if model else ", the run's flags, or --allow_changes to continue it with these"))
        return diff

    def announce(self, start: int, total: int, per_epoch: int, windows: int) -> None:
        name, batch, replicas = self.run_dir, self.training.batch_size, self.trainer.replicas
        listed = [d for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip() not in ("", "-1")]
        print(f"{name}: {replicas} replica(s) x {batch} windows = {replicas * batch} windows per batch "
              f"({self.trainer.batch.source}); "
              f"{windows} windows in {self.training.e2e_dataset}, {per_epoch} iterations per epoch, {total} iterations")
        if len(listed) > replicas:
            uses = (f"{replicas} replica(s)" if tf.config.list_logical_devices("GPU") else
                    "none of them (training on the CPU)")
            warn(f"CUDA_VISIBLE_DEVICES={','.join(listed)} names {len(listed)} GPUs but TensorFlow uses {uses}: "
                 + ("slower than on all of them, with the same batch" if self.trainer.batch.by_rule else
                    f"each batch is {replicas * batch} windows, not {len(listed) * batch}"))
        if start >= total:
            print(f"{name} is complete ({start} of {total} iterations); nothing to train")
        elif start:
            print(f"resuming {name} from ckpt-{start} (iteration {start} of {total})")

    # ---- the loop --------------------------------------------------------------------------
    def train(self) -> int:
        """Train to the end (or resume to it) holding the run's lock (the chief; locks.Busy when another process
        holds it); returns the total iteration count. SIGTERM or SIGINT stops it
        after the current iteration with a checkpoint there (GracefulStop); not in a multi-worker run, whose
        saves are collective while a signal reaches one server: there a signal ends the process as before and
        the cluster resumes from the chief's last checkpoint."""
        multi_worker = getattr(self.trainer.strategy, "cluster_resolver", None) is not None
        with layout.lock(self.run_dir) if self.chief else contextlib.nullcontext():  # one writer per run
            with contextlib.nullcontext(StopRequests()) if multi_worker else StopRequests() as stop:
                return self._train(stop)

    def _train(self, stop: StopRequests) -> int:
        t, tr = self.training, self.trainer
        start, total, per_epoch = self.begin()
        if start >= total:
            return total
        if stop.signum is not None:
            raise GracefulStop(stop.signum, start, None)
        iterator = tr.batches(start)
        if self.chief:
            writer = tf.summary.create_file_writer(os.path.join(self.run_dir, LOG_DIR))
            history = LossHistory(os.path.join(self.run_dir, LOSS_FILE), start)
        else:
            writer = tf.summary.create_noop_writer()
            os.makedirs(self.worker_dir, exist_ok=True)
            history = LossHistory(os.path.join(self.worker_dir, LOSS_FILE), start)  # to compare with the chief's
        validator = Validator(tr.chain, t.valid_wav_dir, tr.cfg.canvas_size, t.preemph, self.run_dir) \
            if t.valid_wav_dir and self.chief else None
        bar = progress(total=total, initial=start, unit="it", desc=os.path.basename(os.path.normpath(self.run_dir)))
        tick, last_log = time.perf_counter(), start
        for i in range(start, total):
            tr.set_learning_rates(i, total)
            try:
                values = {k: float(v) for k, v in tr.step(iterator, tr.adversarial_at(i)).items()}
            except tf.errors.DataLossError:
                records.count_windows(t.e2e_dataset, verify=True)  # names the corrupt file
                raise
            done = i + 1
            if not all(np.isfinite(list(values.values()))):
                raise TrainingDiverged(
                    f"non-finite loss at iteration {done}: {values}; stopped without saving "
                    f"(last good checkpoint: {self.manager.latest_checkpoint})")
            scaling = tr.loss_scale_state()
            if any(v < 1 for k, v in scaling.items() if k.endswith("loss_scale")):
                raise TrainingDiverged(
                    f"float16 gradients overflow even unscaled at iteration {done} ({scaling}); stopped without "
                    f"saving (last good checkpoint: {self.manager.latest_checkpoint}); train in bfloat16 or float32")
            if done % per_epoch == 0:
                tr.end_of_epoch(done // per_epoch)
            values.update(l1_lambda=float(tr.l1_lambda.numpy()), noise_std=float(tr.disc.noise_std.numpy()),
                          epoch=done / per_epoch)
            if done % t.log_freq == 0 or done == total:
                now = time.perf_counter()
                rate = 2 * t.batch_size * tr.replicas * (done - last_log) / (now - tick)
                tick, last_log = now, done
                with writer.as_default(step=done):
                    for k, v in values.items():
                        tf.summary.scalar(k, v)
                    for k, v in scaling.items():
                        tf.summary.scalar(k, v)
                    tf.summary.scalar("windows_per_s", rate)
            history.append(done, values)
            bar.set_postfix({k[0]: f"{values[k]:.3f}" for k in ("d_loss", "g_loss") if k in values}, refresh=False)
            bar.update(1)
            if done % t.save_freq == 0 or done == total or stop.signum is not None:
                history.flush()  # first: a kill between the two leaves rows past the checkpoint, cut on resume
                path = self.save()
                if stop.signum is not None:  # asked to stop: saved here, no audio or validation
                    bar.close()
                    writer.flush()
                    raise GracefulStop(stop.signum, done, os.path.basename(path))
                self.log_audio(writer, done)
                if validator and (done % (t.save_freq * t.valid_every) == 0 or done == total):
                    validator(done, path, writer)
        bar.close()
        history.flush()
        return total

    def log_audio(self, writer, step: int) -> None:
        """A few enhanced windows of the first test-like batch, to TensorBoard."""
        t = self.training
        if not hasattr(self, "_audio_batch"):
            ds = tfdata.make_dataset(t.e2e_dataset, 3, canvas=self.trainer.cfg.canvas_size, preemph=t.preemph,
                                   shuffle_buffer=0, repeat=False)
            self._audio_batch = next(iter(ds))
        clean, noisy = self._audio_batch
        with deferred_updates():  # a look, not a training step: the spectral norms' u stay as training left them
            enhanced = tf.cast(self.trainer.chain(noisy)[-1], tf.float32)
        with writer.as_default(step=step):
            for name, x in (("noisy", noisy), ("enhanced", enhanced), ("clean", clean)):
                quiet_audio_summary(name, de_emphasis(x.numpy()[..., 0], t.preemph)[..., None], 16000,
                                    max_outputs=3)
