"""SIGTERM and SIGINT as a request to stop training at the end of the current iteration (what a scheduler sends
before preemption or at its time limit, and Ctrl-C): the loop then saves a checkpoint and exits 128 + signal.
A later SIGINT stops at once (KeyboardInterrupt); a later SIGTERM is ignored, since schedulers such as SLURM
send it to every process of a job and a run script forwards it too."""
from __future__ import annotations

import signal
import threading


class GracefulStop(Exception):
    """Training stopped on request after saving; `signum` is the signal."""

    def __init__(self, signum: int, iteration: int, saved: str | None):
        name = signal.Signals(signum).name
        where = f"saved {saved}" if saved else "nothing to save before the first iteration"
        super().__init__(f"stopped by {name} at iteration {iteration}; {where}; the same command resumes")
        self.signum = signum


class StopRequests:
    """A context in which the first SIGTERM or SIGINT is recorded in `signum` (None: none yet). Handlers are
    installed only in the main thread (elsewhere signals keep their handling) and restored on exit."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self.signum, self._previous = None, {}

    def _handle(self, signum, frame):
        if self.signum is None:
            self.signum = signum
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt

    def __enter__(self) -> "StopRequests":
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)
