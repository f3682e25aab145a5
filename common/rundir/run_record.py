"""What a run's flags.json holds (written by common/rundir/ record()), checked whenever it is read
(rundir.load_flags, for every reader), and the run's configuration read back from it.

    variant    the variant, as model.variant
    model      every ModelConfig field
    training   TrainConfig's run-shaping fields (RUN_SHAPING; one that a run predates is absent: OLDER_RUNS)
               and "replicas" (null until the run trains)
    dataset    null until the run trains, then {"path", "windows", "corpus", "digest"}
    flags      every flag of the latest start: those that are TrainConfig fields make its TrainConfig; the others
               (test mode's, the variant's own, flags of older code) are kept unread
    changes    [{"iteration", "changes": [text]}], the changes accepted with --allow_changes

A key this code does not write, a value not of its field's type (the annotations of ModelConfig and TrainConfig)
or out of its range (their own checks) is a RunDirError naming the file and the key: a hand-edited file stops
with one line, never with a traceback or a run computed with another model than it was trained with.
"""
from __future__ import annotations

import json
import typing

from common.config.flags import flag_fields
from common.config.model_config import ModelConfig
from common.config.train_config import FieldError, OLDER_RUNS, RUN_SHAPING, TrainConfig
from common.system.errors import RunDirError

SECTIONS = ("variant", "model", "training", "dataset", "flags", "changes")
_TRAIN_TYPES = typing.get_type_hints(TrainConfig)
MODEL = typing.get_type_hints(ModelConfig)
TRAINING = {**{name: _TRAIN_TYPES[name] for name in RUN_SHAPING}, "replicas": int | None}
FLAGS = {f.name: _TRAIN_TYPES[f.name] for f in flag_fields(TrainConfig)}  # the flags that are read
DATASET = {"path": str, "windows": int, "corpus": str, "digest": str | None}  # digest: absent in older runs
CHANGE = {"iteration": int, "changes": list}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# the JSON values of each type: bool is not an integer, an integer is a number, the configurations' tuples are
# lists of integers (and the changes' lists, of strings)
_KINDS = {bool: ("true or false", lambda v: isinstance(v, bool)),
          int: ("an integer", _is_int),
          float: ("a number", lambda v: _is_int(v) or isinstance(v, float)),
          str: ("a string", lambda v: isinstance(v, str)),
          tuple: ("a list of integers", lambda v: isinstance(v, list) and all(map(_is_int, v))),
          list: ("a list of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)),
          type(None): ("null", lambda v: v is None)}


def check(saved, path: str) -> None:
    """RunDirError naming `path` and the key for the first thing in `saved` (a parsed flags.json) that this
    code does not write."""
    try:
        _check(saved)
    except ValueError as e:
        raise RunDirError(f"{path}: {e}") from None


def _check(saved) -> None:
    if not isinstance(saved, dict):
        raise ValueError(f"expected a JSON object, got {_shown(saved)}")
    if not {"model", "training", "flags"} <= saved.keys():
        raise ValueError("written by an older version of this code (no 'training' record); retrain, or re-import "
                         "the weights")
    _section("", saved, dict.fromkeys(SECTIONS, object))
    _section("model", saved["model"], MODEL)
    ModelConfig(**saved["model"])  # its ValueError names the field
    if saved["variant"] != saved["model"]["variant"]:
        raise ValueError(f"variant: {_shown(saved['variant'])} is not model.variant "
                         f"{_shown(saved['model']['variant'])}")
    training = saved["training"]
    _section("training", training, TRAINING, optional=OLDER_RUNS)
    if training["replicas"] is not None and training["replicas"] < 1:
        raise ValueError(f"training.replicas: must be positive, got {training['replicas']}")
    _ranges("training", lambda: TrainConfig(**{k: v for k, v in training.items() if k != "replicas"}))
    if saved["dataset"] is not None:
        _section("dataset", saved["dataset"], DATASET, optional=("digest",))
    _section("flags", saved["flags"], FLAGS, optional=FLAGS, others=True)
    _ranges("flags", lambda: train_config(saved))
    if not isinstance(saved["changes"], list):
        raise ValueError(f"changes: expected a list, got {_shown(saved['changes'])}")
    for n, change in enumerate(saved["changes"]):
        _section(f"changes[{n}]", change, CHANGE)


def _section(where: str, values, types: dict, optional=(), others: bool = False) -> None:
    """`values` is a JSON object with every key of `types` (but those in `optional`) and no other (unless
    `others`), each value of its type."""
    prefix = f"{where}." if where else ""
    if not isinstance(values, dict):
        raise ValueError(f"{where}: expected an object, got {_shown(values)}")
    unknown = [key for key in values if key not in types]
    if unknown and not others:
        raise ValueError(f"unknown key {prefix}{unknown[0]}")
    for key, hint in types.items():
        if key not in values:
            if key not in optional:
                raise ValueError(f"missing key {prefix}{key}")
        elif hint is not object and not any(_KINDS[t][1](values[key]) for t in typing.get_args(hint) or (hint,)):
            expected = " or ".join(_KINDS[t][0] for t in typing.get_args(hint) or (hint,))
            raise ValueError(f"{prefix}{key}: expected {expected}, got {_shown(values[key])}")


def _ranges(where: str, make) -> None:
    """TrainConfig's range checks on the values of section `where`."""
    try:
        make()
    except FieldError as e:
        raise ValueError(f"{where}.{e.field}: {e.problem}") from None


def _shown(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---- the run's configuration -------------------------------------------------------------------------
def model_config(saved: dict) -> ModelConfig:
    return ModelConfig(**saved["model"])


def preemph(saved: dict) -> float:
    return saved["training"]["preemph"]


def train_config(saved: dict) -> TrainConfig:
    """The training configuration of a run's latest start (a field the run predates keeps its default)."""
    return TrainConfig(**{name: saved["flags"][name] for name in FLAGS if name in saved["flags"]})
