"""Command-line helpers shared by every entry point."""
from __future__ import annotations

import argparse
import dataclasses

_TRUE = {"1", "true", "yes", "y", "on", "t"}
_FALSE = {"0", "false", "no", "n", "off", "f"}


def str2bool(value: str) -> bool:
    v = str(value).strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected a boolean (True/False), got {value!r}")


def add_bool(parser: argparse.ArgumentParser, name: str, default: bool, help: str) -> None:
    """A boolean flag in the reference's absl style: `--name`, `--name True|False`, `--noname`."""
    dest = name.lstrip("-")
    parser.add_argument(f"--{dest}", dest=dest, type=str2bool, nargs="?", const=True, default=default,
                        metavar="BOOL", help=f"{help} (default: {default})")
    parser.add_argument(f"--no{dest}", dest=dest, action="store_false", help=argparse.SUPPRESS)


def int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(s) for s in str(text).split(",") if s.strip() != "")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of integers, got {text!r}") from None


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def overlap_fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def add_checkpoint_flag(parser) -> None:
    """--weights: which checkpoint of a run (the one name every tool uses; --step is an alias)."""
    parser.add_argument("--weights", "--step", dest="weights", default="latest",
                        help="checkpoint: iteration number, latest, or best (kept by --valid_wav_dir)")


def add_run_flag(parser) -> None:
    """--run: the trained run a tool reads (its flags.json and checkpoints)."""
    parser.add_argument("--run", required=True, help="run directory (flags.json, checkpoints/)")


def add_window_flags(parser) -> None:
    """--test_batch and --test_overlap: how test-time enhancement cuts a file (aliases --batch, --overlap)."""
    parser.add_argument("--test_batch", "--batch", dest="test_batch", type=positive_int, default=64,
                        help="windows per generator call")
    add_overlap_flag(parser)


def add_overlap_flag(parser) -> None:
    """--test_overlap (alias --overlap): the windows' overlap at test time."""
    parser.add_argument("--test_overlap", "--overlap", dest="test_overlap", type=overlap_fraction, default=0.0,
                        help="window overlap at test time (0 = the paper's non-overlapping windows; 0.5 = "
                             "overlap-add with a Hann window)")


def field(default, help: str, **metadata):
    """A configuration field that every main.py exposes as the flag --<field name> (add_field_flags).
    Metadata: `choices`; `type` (for a default of None); for training fields, `shapes` (changes what a
    run computes: recorded in flags.json, changed on resume only with --allow_changes) and `older_runs`
    (the value of runs recorded before the field existed)."""
    return dataclasses.field(default=default, metadata={"help": help, **metadata})


def flag_fields(cls) -> list:
    """The fields of a configuration class that are flags."""
    return [f for f in dataclasses.fields(cls) if "help" in f.metadata]


def add_field_flags(group, cls, only: tuple[str, ...] | None = None, defaults: dict | None = None) -> None:
    """One flag per flag field of `cls` (or of the fields named in `only`), named after it; `defaults`
    replace fields' defaults (a variant's); help shows the flag's default."""
    for f in flag_fields(cls):
        if only is not None and f.name not in only:
            continue
        help, default = f.metadata["help"], (defaults or {}).get(f.name, f.default)
        if isinstance(default, bool):
            add_bool(group, f.name, default, help)
        elif isinstance(default, tuple):
            group.add_argument(f"--{f.name}", type=int_list, default=default,
                               help=f"{help} (default {','.join(map(str, default))})")
        else:
            group.add_argument(f"--{f.name}", type=f.metadata.get("type", type(default)), default=default,
                               choices=f.metadata.get("choices"),
                               help=help if default is None else f"{help} (default %(default)s)")
