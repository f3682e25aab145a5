"""The faults a user can fix, raised by the library and reported by the command lines as one line
(`error: <message>`, exit status 1): the message names the file, directory or flag and the problem."""
from __future__ import annotations

import functools


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


def exit_on_error(main):
    """Wrap a command line's main(): a UserError becomes SystemExit("error: …") (one line, status 1)."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except UserError as e:
            raise SystemExit(f"error: {e}") from None

    return wrapper
