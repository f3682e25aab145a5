"""One writer at a time: an exclusive OS lock (flock) on a lock file beside what is written (a run directory,
a record set). The OS releases it when its process ends, however it ends (no stale lock after kill -9); the
file keeps who holds it (host, PID, command, since when) for the one-line error a second writer gets. Readers
take no lock. On NFS, Linux emulates flock with POSIX locks, which hold across clients when the server's
lock manager runs (NFSv4, or lockd for v3); on storage without it, two servers are not kept apart."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time

from common.system.errors import UserError


class Busy(UserError):
    """What is to be written is locked by another process (named)."""


@contextlib.contextmanager
def exclusive(lock_path: str, what: str):
    """Hold the lock at `lock_path` for writing `what` (named in the error), or raise Busy at once."""
    os.makedirs(os.path.dirname(os.path.abspath(lock_path)), exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"{what} is in use by {holder(lock_path)}; wait for it to end, or write elsewhere") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "command": " ".join(sys.argv),
                                 "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode())
        yield
    finally:
        os.close(fd)  # releases the lock


def holder(lock_path: str) -> str:
    """'PID 123 on host (command, since …)' from a lock file, as far as it can be read."""
    try:
        with open(lock_path) as f:
            h = json.load(f)
        return f"PID {h['pid']} on {h['host']} ({h['command']}, since {h['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return f"another process (lock {lock_path})"
