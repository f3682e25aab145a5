"""flags.json: writing a run's record, reading it back (checked by common/rundir/run_record.py), and the
run-shaping differences between a record and a new start.

A run that was never trained (dataset null, e.g. imported TF1 weights) adopts the training flags of its
first training start; after that, a change of any run-shaping flag needs --allow_changes.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re

from common.audio import records
from common.audio.demo_corpus import LISTING_FILE as DEMO_MARKER
from common.config.command import Command
from common.config.model_config import ModelConfig
from common.config.train_config import OLDER_RUNS, RUN_SHAPING
from common.rundir import run_record
from common.rundir.layout import FLAGS_FILE
from common.rundir.run_record import preemph
from common.system.errors import RunDirError


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def record(command: Command, replicas: int | None = None, dataset: dict | None = None) -> dict:
    """What flags.json holds for a command; `replicas` and `dataset` only once the run trains. The run-shaping
    values: the model (ModelConfig) and the training fields marked `shapes` (TrainConfig), with the replicas
    and the data set beside them."""
    training = {k: _plain(getattr(command.training, k)) for k in RUN_SHAPING}
    training["replicas"] = replicas
    return {"variant": command.model.variant,
            "model": {k: _plain(v) for k, v in dataclasses.asdict(command.model).items()},
            "training": training, "dataset": dataset,
            "flags": {k: _plain(v) for k, v in command.flags().items()}, "changes": []}


def dataset_identity(path: str, windows: int) -> dict:
    """The training data set as a run records it: absolute path, window count, corpus label ('demo' for
    the synthetic corpus, else the records' directory) and the digest of its content (None for records
    whose index has none): records rebuilt from other audio at the same path are another data set."""
    path = ",".join(os.path.abspath(p.strip()) for p in path.split(","))  # a file, shards, glob or list
    root = os.path.dirname(path.split(",")[0])
    return {"path": path, "windows": int(windows),
            "corpus": "demo" if os.path.exists(os.path.join(root, DEMO_MARKER)) else root,
            "digest": records.content_digest(path)}


def write_flags(run_dir: str, saved: dict) -> None:
    os.makedirs(run_dir, exist_ok=True)
    tmp = os.path.join(run_dir, FLAGS_FILE + ".part")
    with open(tmp, "w") as f:
        json.dump(saved, f, indent=1)
    os.replace(tmp, os.path.join(run_dir, FLAGS_FILE))


def save_flags(command: Command, run_dir: str, replicas: int | None = None, dataset: dict | None = None) -> None:
    """flags.json of a new run (or of imported weights: no replicas, no data set yet)."""
    write_flags(run_dir, record(command, replicas, dataset))


def load_flags(run_dir: str) -> dict:
    """A run's flags.json; a missing or unreadable one, or one that this code does not write
    (common/rundir/run_record.py), is an error naming the path."""
    path = os.path.join(run_dir, FLAGS_FILE)
    try:
        with open(path) as f:
            saved = json.load(f)
    except FileNotFoundError:
        raise RunDirError(f"{path}: no such file; {run_dir} is not a run directory "
                         f"(flags.json is written when a run starts training)") from None
    except (OSError, json.JSONDecodeError) as e:
        raise RunDirError(f"{path}: unreadable ({e})") from None
    run_record.check(saved, path)
    return saved


def _flat(saved: dict) -> dict:
    """The run-shaping values of a record as {'section.key': value}."""
    out = {f"model.{k}": v for k, v in saved["model"].items()}
    if not (saved["model"].get("self_attention") or saved["model"].get("d_attention")):
        out.pop("model.att_layer_ind", None)  # no attention: the index means nothing
    out.update({f"training.{k}": v for k, v in {**OLDER_RUNS, **saved["training"]}.items()})
    out.update({f"dataset.{k}": v for k, v in (saved.get("dataset") or {}).items()})
    return out


def differences(saved: dict, now: dict) -> list[str]:
    """The run-shaping values in which `now` differs from `saved`, as 'key: saved (saved) vs now (now)'.
    A run never trained (no data set recorded) adopts any training values."""
    old, new = _flat(saved), _flat(now)
    if saved.get("dataset") is None:
        new = {k: v for k, v in new.items() if k.startswith("model.")}
    return [f"{re.sub(r'^(model|training)[.]', '', k)}: {old.get(k)} (saved) vs {v} (now)"
            for k, v in new.items() if old.get(k) != v]


def given_model_differences(saved: dict, command: Command) -> list[str]:
    """For test mode: the model flags and --preemph named on the command line (command.given) that
    disagree with the run's."""
    given = {k: getattr(command.model, k) for k in command.given if k in saved["model"]}  # a model flag's name
    model = {**saved["model"], **given}                                                   # is its field's
    now = {k: _plain(v) for k, v in dataclasses.asdict(ModelConfig(**model)).items()}
    out = differences({**saved, "dataset": None}, {**saved, "model": now})
    if "preemph" in command.given and command.training.preemph != preemph(saved):
        out.append(f"preemph: {preemph(saved)} (saved) vs {command.training.preemph} (now)")
    return out
