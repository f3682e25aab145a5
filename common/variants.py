"""The variants, one folder each, and the lookup of what differs for each: `<variant>/spec.py` (no
TensorFlow: its batch, its own flags and the fields they set, its checks) and `<variant>/variant.py` (its
generators, looked up by common/models.py). A new variant is a folder with those two files and `main.py`,
and its name here."""
from __future__ import annotations

import importlib

VARIANTS = ("segan", "isegan", "dsegan")


def spec(variant: str):
    """The variant's spec module; an unknown name raises ValueError."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    return importlib.import_module(f"{variant}.spec")
