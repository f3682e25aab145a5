"""The variants, one folder each, and the lookup of what differs for each: `<variant>/spec.py` (no
TensorFlow: its batch, its own flags and the fields they set, its checks; for a chain of distinct
generators, their upstream TF1 names) and `<variant>/variant.py` (its generators, looked up by
common/models/build.py). A new variant is a folder with those two files and `main.py`, and its name here."""
from __future__ import annotations

import importlib

VARIANTS = ("segan", "isegan", "dsegan")


def spec(variant: str):
    """The variant's spec module; an unknown name raises ValueError."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    return importlib.import_module(f"{variant}.spec")


def own_tf1_names(variant: str) -> bool:
    """Whether the variant's generators have TF1 names of their own (its spec defines tf1_layer)."""
    return hasattr(spec(variant), "tf1_layer")


def tf1_layer(variant: str | None, layer: str, n: int) -> str:
    """The upstream TF1 name of generator n's layer: the spec's `tf1_layer`, else g_ae/<layer> (one generator,
    shared by the stages)."""
    return spec(variant).tf1_layer(layer, n) if variant and own_tf1_names(variant) else layer


def tf1_detect(names: set) -> tuple[str | None, int, dict]:
    """(variant, generators, the variant's own ModelConfig fields) read off a TF1 checkpoint's variable names by the
    specs' `tf1_detect`; (None, 1, {}) when no spec recognises them (SEGAN and ISEGAN-N hold the same variables)."""
    for v in VARIANTS:
        detect = getattr(spec(v), "tf1_detect", None)
        if detect and (found := detect(names)):
            return (v, *found)
    return None, 1, {}
