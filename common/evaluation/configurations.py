"""Scored runs grouped into configurations: runs whose flags.json agree on everything that shapes a run but the
seed are seeds of one configuration. Per metric, a configuration's score of a file is the mean over its seeds
of the mean over each seed's checkpoints; its spreads are the std over checkpoints of the per-checkpoint means
over files (the paper's ±; averaged over the seeds) and the std over seeds of the per-seed means."""
from __future__ import annotations

import dataclasses
import json
import os
import re

import numpy as np

from common.config.train_config import OLDER_RUNS
from common.evaluation.run_scores import RunScores, same_test_set
from common.rundir import layout
from common.system.errors import UserError


def identity(flags: dict) -> dict:
    """What shapes a run but its seed, as {'section.key': value}: the model (without the attention index when
    there is no attention), the run-shaping training values (those a run predates at their OLDER_RUNS values)
    and the data set by content (its digest; for records without one, its window count and corpus). Paths
    (save_path, the records' path) are not in it."""
    model = {f"model.{k}": v for k, v in flags["model"].items()}
    if not (flags["model"]["self_attention"] or flags["model"]["d_attention"]):
        model.pop("model.att_layer_ind")
    training = {f"training.{k}": v for k, v in {**OLDER_RUNS, **flags["training"]}.items() if k != "seed"}
    dataset = flags["dataset"]
    if dataset is None:  # never trained (imported weights)
        data = {"dataset": None}
    elif dataset.get("digest"):
        data = {"dataset.digest": dataset["digest"]}
    else:
        data = {"dataset.windows": dataset["windows"], "dataset.corpus": dataset["corpus"]}
    return {**model, **training, **data}


@dataclasses.dataclass
class Configuration:
    name: str
    runs: list[RunScores]  # its seeds, in the order given

    @property
    def files(self) -> list[str]:
        return self.runs[0].files

    @property
    def seeds(self) -> list:
        return [r.flags["training"]["seed"] for r in self.runs]

    def per_file(self, metric: str) -> np.ndarray:
        """Each file's score: the mean over seeds of the mean over the seed's checkpoints."""
        return np.mean([r.scores[metric].mean(axis=0) for r in self.runs], axis=0)

    def noisy_per_file(self, metric: str) -> np.ndarray:
        """Each file's score in the Noisy rows of the runs (one noisy test set: the same scores)."""
        missing = [r.path for r in self.runs if r.noisy is None]
        if missing:
            raise UserError(f"{', '.join(missing)}: no Noisy row in {layout.RESULTS_JSON} (scripts/evaluate.py was "
                            "run without --noisy_dir): cannot compare with the noisy input")
        return np.mean([r.noisy[metric] for r in self.runs], axis=0)

    def checkpoint_std(self, metric: str) -> float | None:
        """The std (ddof 1) over a seed's checkpoints of their means over files, averaged over the seeds with
        two checkpoints or more (None: none has)."""
        stds = [np.std(r.scores[metric].mean(axis=1), ddof=1) for r in self.runs if len(r.checkpoints) > 1]
        return float(np.mean(stds)) if stds else None

    def seed_std(self, metric: str) -> float | None:
        """The std (ddof 1) over seeds of each seed's mean over checkpoints and files (None for one seed)."""
        means = [r.scores[metric].mean() for r in self.runs]
        return float(np.std(means, ddof=1)) if len(means) > 1 else None


def group(runs: list[RunScores]) -> list[Configuration]:
    """The configurations of `runs`, in the order of their first run; the seeds of each checked to share one
    test set. UserError for a run given twice."""
    paths = [os.path.realpath(r.path) for r in runs]
    twice = [r.path for r, p in zip(runs, paths) if paths.count(p) > 1]
    if twice:
        raise UserError(f"{twice[0]} is given more than once")
    members: dict[str, list[RunScores]] = {}
    for r in runs:
        members.setdefault(json.dumps(identity(r.flags), sort_keys=True), []).append(r)
    for seeds in members.values():
        same_test_set(seeds)
    names = [common_name([r.name for r in seeds]) for seeds in members.values()]
    return [Configuration(f"{name} [{i + 1}]" if names.count(name) > 1 else name, seeds)
            for i, (name, seeds) in enumerate(zip(names, members.values()))]


def common_name(names: list[str]) -> str:
    """The runs' shared name: their common prefix when it is a whole name or ends before a '-', '_' or '.'
    (ISEGAN-SA-2-seed0, ISEGAN-SA-2-seed1 → ISEGAN-SA-2), else the first name."""
    prefix = os.path.commonprefix(names)
    if prefix in names:
        return prefix
    cut = re.sub(r"[-_.][^-_.]*$", "", prefix)
    return cut if cut != prefix and cut else names[0]


def differences(a: Configuration, b: Configuration) -> list[str]:
    """What shapes B's runs differently from A's (differences_of_flags of their first runs)."""
    return differences_of_flags(a.runs[0].flags, b.runs[0].flags)


def differences_of_flags(flags_a: dict, flags_b: dict) -> list[str]:
    """What shapes run B differently from run A, as 'key: A's value vs B's value': the values both record (not
    an attention index beside no attention), or, when those agree, every value either records."""
    x, y = identity(flags_a), identity(flags_b)
    keys = [k for k in sorted(x.keys() | y.keys()) if x.get(k, ...) != y.get(k, ...)]
    return [f"{re.sub(r'^(model|training)[.]', '', k)}: {x.get(k, '—')} vs {y.get(k, '—')}"
            for k in [k for k in keys if k in x and k in y] or keys]
