"""--cpu_op_threads: how TensorFlow spreads its CPU ops over the cores. "all" is its default (each op split
over every core); "one" runs each op on one core and as many ops at once as there are cores, which suits
many small ops (the quick recipe's narrow layers; docs/speed.md has the measurements); "auto" is "one" on up
to ONE_MAX_CORES cores, where that was measured, else "all". The results are the same within float32
rounding; only the speed differs.
"""
from __future__ import annotations

import os

ONE_MAX_CORES = 2  # "auto" takes "one" up to this many cores (measured on 2; more cores: not measured)


def cores() -> int:
    """The cores this process may run on (its affinity, which schedulers set; not the machine's count)."""
    return len(os.sched_getaffinity(0))


def resolve(mode: str) -> str:
    """"all" or "one" ("auto" resolved for this process's cores)."""
    if mode == "auto":
        return "one" if cores() <= ONE_MAX_CORES else "all"
    return mode


def use(tf, mode: str) -> str:
    """Set the threads for `mode` before TensorFlow runs its first op; returns the mode in effect ("all" if
    TensorFlow was running already: in-process callers such as the tests, never a fresh main.py)."""
    if resolve(mode) == "all":
        return "all"
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(cores())
    except RuntimeError:  # "cannot be modified after initialization"
        return "all"
    return "one"
