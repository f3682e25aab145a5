"""Inputs are never overwritten: the check every tool makes before writing outputs named after its inputs."""
from __future__ import annotations

import os

from common.errors import InputError


def same_place(a: str, b: str) -> bool:
    """Whether two paths name one file or folder (symlinks and relative parts resolved)."""
    return os.path.realpath(a) == os.path.realpath(b)


def refuse_output_over_input(output: str, source: str) -> None:
    """InputError when writing `output` (a file or folder of outputs named as the inputs) would replace
    `source`: the same file, or the same folder."""
    if output and source and same_place(output, source):
        raise InputError(f"{output}: the output is the input ({os.path.realpath(source)}); "
                         f"it would be overwritten: write elsewhere")
