"""The flags every variant's main.py shares (docs/design.md §10), their checks, and parse(): the command line
as a Command (common/config/command.py), the one place argv becomes configuration objects.

Defaults are the paper's run scripts (docs/decisions.md §3), not the upstream flag defaults: PReLU, all
biases on, D input noise 0, L1 weight 100, 100 epochs, a checkpoint every 50 iterations, the paper's
windows per iteration split over the replicas (common/config/named_configs.py). A variant adds its own flags
(`<variant>/spec.py`: add_flags, model_fields). Defaults come in layers, each overriding the one before: the
fields' own, `--config NAME` (a named configuration's model), `--recipe NAME` (common/config/recipes.py), and the flags
given on the command line.
"""
from __future__ import annotations

import argparse
import dataclasses
import os

from common.config import variants
from common.config.command import Command, TestConfig
from common.config.flags import add_checkpoint_flag, add_field_flags, add_window_flags, flag_fields
from common.config.model_config import ModelConfig
from common.config.named_configs import config_defaults, expected_names
from common.config.recipes import RECIPES
from common.config.train_config import TrainConfig
from common.system.paths import same_place

MODEL_FLAGS = flag_fields(ModelConfig)
_UNSET = object()  # _named's "not on the command line"


def build_parser(variant: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"{variant}/main.py", description=f"Train or test {variant.upper()}.",
                                allow_abbrev=False)
    g = p.add_argument_group("model")
    g.add_argument("--config", metavar="NAME", help=f"a named configuration ({expected_names()}): its model; flags "
                                                    "given explicitly win")
    add_field_flags(g, ModelConfig)
    spec = variants.spec(variant)
    spec.add_flags(g)
    add_field_flags(p.add_argument_group("training"), TrainConfig, defaults={"save_path": f"runs/{variant}"})

    e = p.add_argument_group("test")
    e.add_argument("--test_wav_dir", help="enhance every .wav here instead of training")
    e.add_argument("--save_clean_path", help="where test mode writes the enhanced wavs")
    add_checkpoint_flag(e)
    add_window_flags(e)
    return p


def parse(variant: str, argv=None, model: dict | None = None) -> Command:
    """The command line as objects (model, training, test mode, the flags named); contradictions exit with a
    message naming the flags. `model`: ModelConfig fields known otherwise (a checkpoint's), over the defaults
    of --config and --recipe, under the flags given."""
    p = build_parser(variant)
    known = p.parse_known_args(argv)[0]
    if known.config:
        try:
            p.set_defaults(**config_defaults(known.config, variant))
        except ValueError as e:
            p.error(str(e))
    p.set_defaults(**{**RECIPES[known.recipe], **(model or {})})
    args = p.parse_args(argv)
    if args.save_clean_path and not args.test_wav_dir:
        p.error("--save_clean_path is for test mode: give --test_wav_dir too")
    if args.test_wav_dir and not args.save_clean_path:
        p.error("--test_wav_dir needs --save_clean_path (where the enhanced wavs go)")
    if args.test_wav_dir and same_place(args.save_clean_path, args.test_wav_dir):
        p.error(f"--save_clean_path {args.save_clean_path} is --test_wav_dir: the noisy files would be overwritten")
    if args.valid_wav_dir and not all(os.path.isdir(os.path.join(args.valid_wav_dir, d)) for d in ("clean", "noisy")):
        p.error(f"--valid_wav_dir {args.valid_wav_dir} needs subdirectories clean/ and noisy/ (pairs by name)")
    try:
        return Command(model=_model(variant, args), training=_fields(TrainConfig, args), test=_fields(TestConfig, args),
                       given=_named(p, argv, args), config=args.config)
    except ValueError as e:
        p.error(str(e))


def _named(p: argparse.ArgumentParser, argv, args: argparse.Namespace) -> frozenset:
    """The flags named on the command line, by their fields' names (test mode checks these against the run's
    flags.json): every attribute preset to a marker, so that argparse applies no default and sets only those."""
    unset = argparse.Namespace(**dict.fromkeys(vars(args), _UNSET))
    return frozenset(k for k, v in vars(p.parse_args(argv, unset)).items() if v is not _UNSET)


def _model(variant: str, args) -> ModelConfig:
    """The model of parsed flags: each field's flag, the variant, and the variant's own flags."""
    values = {f.name: getattr(args, f.name) for f in MODEL_FLAGS}
    values.update(variant=variant, **variants.spec(variant).model_fields(args))
    return ModelConfig(**values)


def _fields(cls, args):
    """An instance of a configuration class from the parsed flags of its fields."""
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})
