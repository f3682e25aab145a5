"""Command-line helpers shared by every entry point."""
from __future__ import annotations

import argparse

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
