"""The flags every variant's main.py shares (SPEC Part A §10) and their checks.

Defaults are the paper's run scripts (SPEC Part 0 §3), not the upstream flag defaults: PReLU, all
biases on, D input noise 0, L1 weight 100, 100 epochs, a checkpoint every 50 iterations, 50 windows
per replica (SEGAN: 100). A variant adds its own flags (`<variant>/spec.py`: BATCH_SIZE, add_flags,
model_fields).
"""
from __future__ import annotations

import argparse
import dataclasses
import os

from common import variants
from common.flags import add_bool, add_checkpoint_flag, add_window_flags, int_list
from common.model_config import ModelConfig
from common.recipes import RECIPES


MODEL_FLAGS = [f for f in dataclasses.fields(ModelConfig) if "help" in f.metadata]


def build_parser(variant: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"{variant}/main.py", description=f"Train or test {variant.upper()}.",
                                allow_abbrev=False)
    g = p.add_argument_group("model")
    for f in MODEL_FLAGS:  # one flag per ModelConfig field that has one, named after it
        if isinstance(f.default, bool):
            add_bool(g, f.name, f.default, f.metadata["help"])
        elif isinstance(f.default, tuple):
            g.add_argument(f"--{f.name}", type=int_list, default=f.default,
                           help=f"{f.metadata['help']} (default {','.join(map(str, f.default))})")
        else:
            g.add_argument(f"--{f.name}", type=type(f.default), default=f.default, choices=f.metadata.get("choices"),
                           help=f"{f.metadata['help']} (default {f.default})")
    variant_flags = variants.spec(variant)
    variant_flags.add_flags(g)

    t = p.add_argument_group("training")
    t.add_argument("--recipe", choices=tuple(RECIPES), default="paper",
                   help="named flag defaults (common/recipes.py): paper (the default) or quick (not the paper's: "
                        "quarter width, L1 only, minutes on a CPU); flags given explicitly win")
    t.add_argument("--e2e_dataset", default="data/segan.tfrecords", help="training TFRecords (file, shards, glob)")
    t.add_argument("--save_path", default="runs/" + variant, help="run directory (checkpoints, logs, flags)")
    t.add_argument("--batch_size", type=int, default=variant_flags.BATCH_SIZE,
                   help=f"windows per replica (GPU) per batch (default {variant_flags.BATCH_SIZE}: the paper's run script)")
    t.add_argument("--epoch", type=int, default=100)
    t.add_argument("--save_freq", type=int, default=50, help="checkpoint every N iterations")
    t.add_argument("--keep_checkpoints", type=int, default=5)
    t.add_argument("--max_steps", type=int, default=None, help="stop after this many iterations (demos)")
    t.add_argument("--preemph", type=float, default=0.95)
    t.add_argument("--init_noise_std", type=float, default=0.0, help="std of the noise added to D's input")
    t.add_argument("--noise_decay", type=float, default=0.7)
    t.add_argument("--denoise_epoch", type=int, default=5)
    t.add_argument("--denoise_lbound", type=float, default=0.01)
    t.add_argument("--init_l1_weight", type=float, default=100.0)
    t.add_argument("--l1_remove_epoch", type=int, default=150)
    t.add_argument("--adv_weight", type=float, default=1.0,
                   help="weight of G's adversarial term (1 = the paper; 0 = L1-only generator training)")
    t.add_argument("--g_learning_rate", type=float, default=2e-4)
    t.add_argument("--d_learning_rate", type=float, default=2e-4)
    t.add_argument("--lr_decay", type=float, default=0.0,
                   help="over this last fraction of the iterations both learning rates fall linearly to 0 "
                        "(default 0: constant, the paper)")
    t.add_argument("--shuffle_buffer", type=int, default=1000)
    t.add_argument("--seed", type=int, default=None,
                   help="seed the initial weights, data order and z (default: unseeded); in test mode, the z "
                        "of the enhancement")
    add_bool(t, "allow_changes", False, "resume although run-shaping flags differ from the run's flags.json "
                                        "(the change is recorded there)")
    t.add_argument("--log_freq", type=int, default=10, help="TensorBoard scalars every N iterations")
    t.add_argument("--valid_wav_dir", help="validation (not the paper's; off by default): pairs DIR/clean/*.wav, "
                                           "DIR/noisy/*.wav (same names, 16 kHz mono) scored with PESQ and STOI "
                                           "to TensorBoard; the best checkpoint (PESQ) is kept in RUN/best/")
    t.add_argument("--valid_every", type=int, default=1, help="validate every K checkpoints (and at the end)")

    e = p.add_argument_group("test")
    e.add_argument("--test_wav_dir", help="enhance every .wav here instead of training")
    e.add_argument("--save_clean_path", help="where test mode writes the enhanced wavs")
    add_checkpoint_flag(e)
    add_window_flags(e)
    return p


def parse(variant: str, argv=None) -> argparse.Namespace:
    """Parse and check the flags; contradictions exit with a message naming the flags."""
    p = build_parser(variant)
    p.set_defaults(**RECIPES[p.parse_known_args(argv)[0].recipe])
    args = p.parse_args(argv)
    args.variant = variant
    args.given = given_flags(variant, argv)
    if args.save_clean_path and not args.test_wav_dir:
        p.error("--save_clean_path is for test mode: give --test_wav_dir too")
    if args.test_wav_dir and not args.save_clean_path:
        p.error("--test_wav_dir needs --save_clean_path (where the enhanced wavs go)")
    for name in ("batch_size", "epoch", "save_freq", "keep_checkpoints", "log_freq", "valid_every"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be positive")
    if args.valid_wav_dir and not all(os.path.isdir(os.path.join(args.valid_wav_dir, d)) for d in ("clean", "noisy")):
        p.error(f"--valid_wav_dir {args.valid_wav_dir} needs subdirectories clean/ and noisy/ (pairs by name)")
    if args.max_steps is not None and args.max_steps < 1:
        p.error("--max_steps must be positive")
    if not 0.0 <= args.lr_decay <= 1.0:
        p.error("--lr_decay must be a fraction in [0, 1]")
    try:
        model_config(args)
    except ValueError as e:
        p.error(str(e))
    return args


def given_flags(variant: str, argv=None) -> list[str]:
    """The flags named on the command line (test mode checks these against the run's flags.json)."""
    p = build_parser(variant)
    for action in p._actions:
        action.default = argparse.SUPPRESS
    return sorted(vars(p.parse_args(argv)))


def model_config(args) -> ModelConfig:
    """The model of parsed flags: each field's flag, the variant, and the variant's own flags."""
    values = {f.name: getattr(args, f.name) for f in MODEL_FLAGS}
    values.update(variant=args.variant, **variants.spec(args.variant).model_fields(args))
    return ModelConfig(**values)
