"""The main job's child processes, one at a time, and the signals that stop them: a SIGTERM or SIGINT of the
pipeline reaches the running child as SIGTERM."""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys

from scripts.main_job.settings import Stop


class Runner:
    """Runs each child command to its end, one at a time. A SIGTERM or SIGINT of this process is passed on to the
    running child as SIGTERM; once the child has ended, the pipeline stops with the child's status (128 + the
    signal when the child ended well). A child that fails stops the pipeline with its status."""

    def __init__(self):
        self.child: subprocess.Popen | None = None
        self.signalled: int | None = None

    def install(self) -> None:
        """Set explicitly: a background job of a shell starts with SIGINT ignored, and would keep it."""
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        self.signalled = signum
        child = self.child
        if child is not None and child.returncode is None:
            try:
                child.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass

    def stopped(self) -> None:
        """Stop the pipeline here if a signal came."""
        if self.signalled is not None:
            raise Stop(128 + self.signalled)

    def run(self, cmd: list[str], env: dict[str, str] | None = None, capture: bool = False) -> str:
        """Run `cmd` with `env` added to the environment; its stdout when `capture`."""
        self.stopped()
        sys.stdout.flush()
        sys.stderr.flush()
        child = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, text=True,
                                 stdout=subprocess.PIPE if capture else None)
        self.child = child
        try:
            if self.signalled is not None:  # came before the child was known
                child.send_signal(signal.SIGTERM)
            out, _ = child.communicate()
        finally:
            if child.returncode is None:  # an exception here: the child must not outlive the pipeline
                child.kill()
                child.wait()
            self.child = None
        status = child.returncode if child.returncode >= 0 else 128 - child.returncode
        if self.signalled is not None:
            raise Stop(status or 128 + self.signalled)
        if status:
            raise Stop(status)
        return out or ""


class DryRunner(Runner):
    """Prints each command (with the environment it adds) instead of running it."""

    def run(self, cmd, env=None, capture=False) -> str:
        print("+", " ".join([*(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items()), *map(shlex.quote, cmd)]),
              flush=True)
        return "<its-output>" if capture else ""
