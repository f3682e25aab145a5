#!/usr/bin/env python3
"""Run a trained chain and discriminator on given inputs and z, for comparison with another implementation.

    python scripts/dev/reference_io.py --run runs/NAME --npz IN.npz --out OUT.npz [--train_step] [--weights N]
                                       [--xla] [--mixed_precision bfloat16]

Forward (default): IN holds float32 `noisy`, `clean` [B, T] and `z_0 … z_{N-1}` [B, T/2^L, C_L]; OUT gets
`stage_0 … stage_{N-1}` [B, T], `d_real` and `d_fake_0 …` [B, 1], computed as training does (VBN reference =
the real pair [clean, noisy]; D input noise off).
--train_step: IN holds `clean_a`, `noisy_a`, `z_a_0 …` and `clean_b`, `noisy_b`, `z_b_0 …`; one training
iteration runs (D update on batch A, then G update on batch B; the run's RMSProp from its initial state, the
run's λ, D input noise off) and OUT gets `d_loss`, `g_loss` and every G and D variable after the update under
its upstream TF1 name in the upstream layout (common/models/tf1_import.py).
--xla and --mixed_precision are main.py's: they replace the run's for this computation.
"""
import argparse
import dataclasses
import sys

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)

import numpy as np
import tensorflow as tf

from common.config.flags import add_checkpoint_flag, add_field_flags
from common.config.train_config import TrainConfig
from common.models import tf1_import
from common.models.checkpoint_match import restore_exactly
from common.rundir import checkpoint_files, flags_file, run_record
from common.system.errors import exit_on_error
from common.training.trainer import Trainer


SPEED_FLAGS = ("xla", "mixed_precision")  # main.py's flags for how the step is computed (compiled, precision)


def load_trainer(run_dir: str, weights: str = "latest", **speed) -> Trainer:
    """A Trainer with the run's flags (`speed`: SPEED_FLAGS values that replace the run's), its models and λ
    from the checkpoint, fresh optimizers, D noise off."""
    saved = flags_file.load_flags(run_dir)
    training = dataclasses.replace(run_record.train_config(saved), **speed)
    trainer = Trainer(run_record.model_config(saved), training, tf.distribute.get_strategy())
    path = checkpoint_files.resolve(run_dir, weights)
    restore_exactly(path, dict(chain=trainer.chain, discriminator=trainer.disc, l1_lambda=trainer.l1_lambda))
    trainer.disc.noise_std.assign(0.0)
    return trainer


def _inputs(data, stages, suffix=""):
    """(clean, noisy, zs) as [B, T, 1], [B, T, 1] and the z list, from the npz arrays."""
    def get(key):
        if key not in data:
            raise SystemExit(f"error: the input npz has no array {key!r} (has {sorted(data)})")
        return tf.constant(np.asarray(data[key], np.float32))

    zs = [get(f"z{suffix}_{n}") for n in range(stages)]
    return get(f"clean{suffix}")[..., None], get(f"noisy{suffix}")[..., None], zs


def forward(trainer, data) -> dict:
    clean, noisy, zs = _inputs(data, trainer.cfg.stages)
    stages = trainer.chain(noisy, zs=zs)
    ref = trainer.disc.reference(clean, noisy)
    out = {"d_real": trainer.disc(clean, noisy, ref)}
    for n, s in enumerate(stages):
        out[f"stage_{n}"] = s[..., 0]
        out[f"d_fake_{n}"] = trainer.disc(s, noisy, ref)
    return out


def train_step(trainer, data) -> dict:
    d = trainer.d_step(*_inputs(data, trainer.cfg.stages, "_a"))
    g = trainer.g_step(*_inputs(data, trainer.cfg.stages, "_b"))
    return {"d_loss": d["d_loss"], "g_loss": g["g_loss"], **tf1_import.export_values(trainer)}


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run", required=True, help="run directory (flags.json + checkpoints/)")
    p.add_argument("--npz", required=True, help="input arrays")
    p.add_argument("--out", required=True, help="output .npz")
    add_checkpoint_flag(p)
    p.add_argument("--train_step", action="store_true", help="one training iteration instead of a forward pass")
    add_field_flags(p, TrainConfig, only=SPEED_FLAGS)
    a = p.parse_args(argv)
    trainer = load_trainer(a.run, a.weights, **{k: getattr(a, k) for k in SPEED_FLAGS})
    with np.load(a.npz) as f:
        data = dict(f)
    out = (train_step if a.train_step else forward)(trainer, data)
    np.savez(a.out, **{k: np.asarray(v) for k, v in out.items()})
    print(f"wrote {a.out}: {', '.join(sorted(out)[:6])}{' …' if len(out) > 6 else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
