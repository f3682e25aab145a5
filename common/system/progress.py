"""Progress bars that suit where they are written: tqdm's redrawn bar on a terminal; elsewhere (a log file, a
scheduler's output, a pipe) a plain line now and then, so that a log holds one readable line per report and an
error line starts on a line of its own."""
from __future__ import annotations

import sys

from tqdm import tqdm

PLAIN_EVERY_S = 60.0  # seconds between two plain lines (and the first and last line always)


class _Lines:
    """A file for tqdm that turns each redraw ('\\r' + bar + padding) into a line of its own."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> None:
        line = text.replace("\r", "").rstrip()
        if line:
            self.stream.write(line + "\n")

    def flush(self) -> None:
        self.stream.flush()


def progress(iterable=None, **kwargs) -> tqdm:
    """tqdm(iterable, **kwargs) on a terminal; without one, a plain line every PLAIN_EVERY_S seconds."""
    stream = sys.stderr
    if stream is None or stream.isatty():
        return tqdm(iterable, **kwargs)
    return tqdm(iterable, file=_Lines(stream), mininterval=PLAIN_EVERY_S, maxinterval=PLAIN_EVERY_S, miniters=1,
                ascii=True, dynamic_ncols=False, ncols=100, **{k: v for k, v in kwargs.items() if k != "dynamic_ncols"})
