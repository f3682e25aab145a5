"""The faults a user can fix, raised by the library and reported by the command lines as one line
(`error: <message>`, exit status 1): the message names the file, directory or flag and the problem."""
from __future__ import annotations

import errno
import functools
import os
import shutil


class UserError(Exception):
    """Bad input or a request the run cannot satisfy."""


class InputError(UserError):
    """Input files or directories that cannot be used: no wavs, unmatched pairs, too few windows."""


class RunDirError(UserError):
    """A run directory without what was asked of it: flags.json, a checkpoint, the model's weights."""


class FlagsMismatch(UserError):
    """Flags that contradict the run they are used with."""


class TrainingDiverged(RuntimeError):
    """Non-finite losses or weights; nothing was saved past the last good checkpoint (named)."""


# the faults of the machine rather than of the code: a full disk or quota, a folder one may not write in
MACHINE_FAULTS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR,
                  errno.ENAMETOOLONG}


def os_fault(e: OSError) -> str | None:
    """One line for an OSError that is the machine's fault (the path, the problem, and on a full disk the space
    left), or None for any other."""
    if e.errno not in MACHINE_FAULTS:
        return None
    line = f"{e.filename}: {e.strerror}" if e.filename else str(e)
    if e.errno in (errno.ENOSPC, errno.EDQUOT) and e.filename:
        folder = os.path.dirname(os.path.abspath(e.filename))
        while not os.path.isdir(folder):
            folder = os.path.dirname(folder)
        line += f" ({shutil.disk_usage(folder).free / 1e6:.1f} MB free in {folder})"
    return line


def exit_on_error(main):
    """Wrap a command line's main(): a UserError, or an OSError that is the machine's fault (os_fault), becomes
    SystemExit("error: …") (one line, status 1)."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except UserError as e:
            raise SystemExit(f"error: {e}") from None
        except OSError as e:
            if (line := os_fault(e)) is None:
                raise
            raise SystemExit(f"error: {line}") from None

    return wrapper
