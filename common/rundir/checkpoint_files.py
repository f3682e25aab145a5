"""A run's checkpoints: listing them by iteration, reading each one completely, moving unreadable ones
aside, and resolving 'latest', 'best' or an iteration to a readable one. TensorFlow is imported only by
`verify`, which reads them.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import sys

from common.rundir.layout import BEST_FILE, CHECKPOINT_DIR, CORRUPT_DIR
from common.system.errors import RunDirError

_CKPT = re.compile(r"^ckpt-(\d+)\.index$")


class CheckpointError(RunDirError):
    """A checkpoint that cannot be read; the message names it."""

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
