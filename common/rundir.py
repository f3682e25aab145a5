"""The run directory, the one record of a run: what it is (flags.json), its checkpoints, and the loading
of its trained chain for test mode, scripts/enhance.py, the plots and scripts/dev/reference_io.py.

    RUN/flags.json                what shapes the run (model, training, replicas, data set), every flag of
                                  the latest start, and the changes accepted with --allow_changes
    RUN/checkpoints/ckpt-<iter>   checkpoints, numbered by iteration
    RUN/corrupt/                  checkpoints found unreadable, moved out of the way (kept for inspection)
    RUN/losses.csv, RUN/logs/     per-iteration losses; TensorBoard
    RUN/best/, best_checkpoint.json   the best checkpoint by validation PESQ (--valid_wav_dir)
    RUN/worker_tmp/<k>/           a multi-worker run's other workers: their share of each (collective)
                                  checkpoint save, and their losses.csv
    RUN/enhanced/<iter>/          the run scripts' enhanced test set per checkpoint; results.*, *.png

A run that was never trained (dataset null, e.g. imported TF1 weights) adopts the training flags of its
first training start; after that, a change of any run-shaping flag needs --allow_changes.
TensorFlow is imported only by the functions that read checkpoints.
"""
from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import os
import re
import shutil
import sys

from common import config
from common.demo_corpus import LISTING_FILE as DEMO_MARKER
from common import locks, run_record
from common.errors import FlagsMismatch, RunDirError
from common.model_config import ModelConfig
from common.run_record import model_config, preemph, train_config  # noqa: F401 (the readers' rundir.<name>)
from common.train_config import OLDER_RUNS, RUN_SHAPING

FLAGS_FILE = "flags.json"
CHECKPOINT_DIR = "checkpoints"
CORRUPT_DIR = "corrupt"
LOG_DIR = "logs"
LOSS_FILE = "losses.csv"
BEST_DIR = "best"
BEST_FILE = "best_checkpoint.json"
ENHANCED_DIR = "enhanced"  # the run scripts' test-set outputs, one folder per checkpoint
TESTED_CHECKPOINTS = 5  # the run scripts test the newest five (the paper's mean ± std over five)
RESULTS_JSON = "results.json"  # their scores (scripts/evaluate.py --json)
WORKER_DIR = "worker_tmp"  # a multi-worker run's non-chief workers write here, one folder each
LOCK_FILE = ".lock"  # held by the process writing the run (common/locks.py)

_CKPT = re.compile(r"^ckpt-(\d+)\.index$")


class CheckpointError(RunDirError):
    """A checkpoint that cannot be read; the message names it."""


# ---- flags.json --------------------------------------------------------------------------------
def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def record(args, replicas: int | None = None, dataset: dict | None = None) -> dict:
    """What flags.json holds for these flags; `replicas` and `dataset` only once the run trains. The run-shaping
    values: the model (ModelConfig) and the training fields marked `shapes` (TrainConfig), with the replicas
    and the data set beside them."""
    train = config.train_config(args)
    training = {k: _plain(getattr(train, k)) for k in RUN_SHAPING}
    training["replicas"] = replicas
    return {"variant": args.variant,
            "model": {k: _plain(v) for k, v in dataclasses.asdict(config.model_config(args)).items()},
            "training": training, "dataset": dataset,
            "flags": {k: _plain(v) for k, v in vars(args).items() if k != "given"}, "changes": []}


def dataset_identity(path: str, windows: int) -> dict:
    """The training data set as a run records it: absolute path, window count, corpus label ('demo' for
    the synthetic corpus, else the records' directory)."""
    path = ",".join(os.path.abspath(p.strip()) for p in path.split(","))  # a file, shards, glob or list
    root = os.path.dirname(path.split(",")[0])
    return {"path": path, "windows": int(windows),
            "corpus": "demo" if os.path.exists(os.path.join(root, DEMO_MARKER)) else root}


def write_flags(run_dir: str, saved: dict) -> None:
    os.makedirs(run_dir, exist_ok=True)
    tmp = os.path.join(run_dir, FLAGS_FILE + ".part")
    with open(tmp, "w") as f:
        json.dump(saved, f, indent=1)
    os.replace(tmp, os.path.join(run_dir, FLAGS_FILE))


def save_flags(args, run_dir: str, replicas: int | None = None, dataset: dict | None = None) -> None:
    """flags.json of a new run (or of imported weights: no replicas, no data set yet)."""
    write_flags(run_dir, record(args, replicas, dataset))


def lock(run_dir: str):
    """The run directory's writer lock (a context): training, and enhancing its checkpoints, hold it."""
    return locks.exclusive(os.path.join(run_dir, LOCK_FILE), f"run directory {run_dir}")


def enclosing_run(path: str) -> str | None:
    """The run directory that `path` is in or is (the nearest folder up holding flags.json), or None."""
    folder = os.path.abspath(path)
    while True:
        if os.path.isfile(os.path.join(folder, FLAGS_FILE)):
            return folder
        if os.path.dirname(folder) == folder:
            return None
        folder = os.path.dirname(folder)


def lock_enclosing(paths: list[str]):
    """The lock of the run directory the outputs `paths` are written into (a context; none outside a run)."""
    runs = {run for run in map(enclosing_run, paths) if run}
    if len(runs) > 1:
        raise RunDirError(f"outputs in several run directories ({', '.join(sorted(runs))}): write into one")
    return lock(runs.pop()) if runs else contextlib.nullcontext()


def load_flags(run_dir: str) -> dict:
    """A run's flags.json; a missing or unreadable one, or one that this code does not write (common/run_record.py),
    is an error naming the path."""
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


def given_model_differences(saved: dict, args) -> list[str]:
    """For test mode: the model flags and --preemph given on the command line (args.given) that
    disagree with the run's."""
    given = {k: getattr(args, k) for k in getattr(args, "given", ())}
    model = {**saved["model"], **{k: v for k, v in given.items() if k in saved["model"]}}  # a model flag's
    now = {k: _plain(v) for k, v in dataclasses.asdict(ModelConfig(**model)).items()}    # name is its field's
    out = differences({**saved, "dataset": None}, {**saved, "model": now})
    if "preemph" in given and given["preemph"] != preemph(saved):
        out.append(f"preemph: {preemph(saved)} (saved) vs {given['preemph']} (now)")
    return out


# ---- checkpoints -------------------------------------------------------------------------------
def checkpoint_steps(run_dir: str, folder: str = CHECKPOINT_DIR) -> list[int]:
    """Iteration numbers of the checkpoints in RUN/checkpoints (or RUN/`folder`, e.g. corrupt/), ascending
    (from the files themselves, not TensorFlow's state file, which a kill can leave behind the files)."""
    d = os.path.join(run_dir, folder)
    names = os.listdir(d) if os.path.isdir(d) else []
    return sorted(int(m.group(1)) for m in map(_CKPT.match, names) if m)


def checkpoint_prefix(run_dir: str, step: int) -> str:
    return os.path.join(run_dir, CHECKPOINT_DIR, f"ckpt-{step}")


def remove_temp(run_dir: str) -> list[str]:
    """Delete what a save killed midway leaves (ckpt-N_temp/ folders, *.part files); returns them."""
    found = glob.glob(os.path.join(glob.escape(run_dir), CHECKPOINT_DIR, "*_temp*"))
    for path in found:
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    return found


def verify(prefix: str) -> None:
    """Read every tensor of a checkpoint (TensorFlow checks each one's CRC32C on reading); raises
    CheckpointError naming it if anything is missing, truncated or damaged."""
    import tensorflow as tf

    try:
        reader = tf.train.load_checkpoint(prefix)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except (tf.errors.OpError, ValueError, IndexError, OSError) as e:  # IndexError: a truncated data file
        raise CheckpointError(f"{prefix} is unreadable ({type(e).__name__}: "
                              f"{str(e).splitlines()[0][:200]})") from None


def warn(message: str) -> None:
    from tqdm import tqdm

    tqdm.write(f"warning: {message}", file=sys.stderr)


def quarantine(run_dir: str, prefix: str) -> str:
    """Move an unreadable checkpoint's files to RUN/corrupt/ (so listings and resume skip it)."""
    dest = os.path.join(run_dir, CORRUPT_DIR)
    os.makedirs(dest, exist_ok=True)
    for f in glob.glob(glob.escape(prefix) + ".*"):
        os.replace(f, os.path.join(dest, os.path.basename(f)))
    return dest


def good_steps(run_dir: str, last: int | None = None) -> list[int]:
    """The newest `last` checkpoints that read completely, ascending; each unreadable one is named in
    a warning and skipped."""
    good = []
    for step in reversed(checkpoint_steps(run_dir)):
        if last is not None and len(good) == last:
            break
        try:
            verify(checkpoint_prefix(run_dir, step))
            good.append(step)
        except CheckpointError as e:
            warn(f"{e}; skipped")
    return good[::-1]


def resolve(run_dir: str, weights: str = "latest") -> str:
    """The checkpoint prefix for `weights`: an iteration number, 'latest' or 'best' (the copy kept by
    validation during training). 'latest' falls back past unreadable checkpoints with a warning naming
    each; an explicitly named checkpoint that is unreadable is an error."""
    if str(weights) == "best":
        try:
            with open(os.path.join(run_dir, BEST_FILE)) as f:
                prefix = os.path.join(run_dir, json.load(f)["path"])
        except FileNotFoundError:
            raise RunDirError(f"no {BEST_FILE} in {run_dir} (written only by training with "
                              f"--valid_wav_dir)") from None
    elif str(weights) == "latest":
        steps = good_steps(run_dir, last=1)
        if not steps:
            raise RunDirError(f"no readable checkpoint in {os.path.join(run_dir, CHECKPOINT_DIR)}")
        return checkpoint_prefix(run_dir, steps[0])
    else:
        if not str(weights).isdigit():
            raise RunDirError(f"checkpoint {weights!r}: expected an iteration number, latest or best")
        prefix = checkpoint_prefix(run_dir, int(weights))
        if not os.path.exists(prefix + ".index"):
            raise RunDirError(f"no checkpoint {prefix}; {os.path.join(run_dir, CHECKPOINT_DIR)} has "
                              f"iterations {checkpoint_steps(run_dir)}")
    verify(prefix)
    return prefix


# ---- a trained chain -----------------------------------------------------------------------------
@dataclasses.dataclass
class TrainedChain:
    chain: object
    cfg: ModelConfig
    flags: dict
    run_dir: str
    path: str = ""

    @property
    def preemph(self) -> float:
        return preemph(self.flags)

    def read(self, weights: str = "latest") -> None:
        """Load another checkpoint of the run into the same chain (built and traced once)."""
        from common.checkpoint_match import restore_exactly

        path = resolve(self.run_dir, weights)
        try:
            restore_exactly(path, {"chain": self.chain})
        except ValueError as e:  # CheckpointMismatch, or TensorFlow's: a value of another shape
            raise RunDirError(f"{path} does not hold the generator weights of the model in "
                              f"{os.path.join(self.run_dir, FLAGS_FILE)}: {str(e).splitlines()[0][:300]}") from None
        self.path = path


def load_chain(run_dir: str, weights: str = "latest", args=None) -> TrainedChain:
    """The GeneratorChain of a run, built from its flags.json, with a checkpoint's weights. `args`: the
    command line of test mode, whose explicitly given model flags and --preemph must agree with the run's."""
    from common.models import build_models

    saved = load_flags(run_dir)
    if args is not None and (diff := given_model_differences(saved, args)):
        raise FlagsMismatch(f"the flags do not match the run in {run_dir} (leave the model flags out: "
                            f"they are read from its {FLAGS_FILE}):\n  " + "\n  ".join(diff))
    cfg = model_config(saved)
    trained = TrainedChain(build_models(cfg)[0], cfg, saved, run_dir)
    trained.read(weights)
    return trained
