"""SIGTERM and SIGINT during training: the first is a request to stop after the iteration under way, a later
SIGINT stops at once, a later SIGTERM (a scheduler's and a run script's copy of the first) changes nothing."""
import os
import signal

import pytest

from common.system.stop_signals import GracefulStop, StopRequests


@pytest.mark.parametrize("first", [signal.SIGTERM, signal.SIGINT])
def test_first_signal_is_recorded_a_later_sigint_stops_at_once(first):
    before = {s: signal.getsignal(s) for s in StopRequests.SIGNALS}
    with StopRequests() as stop:
        assert stop.signum is None
        os.kill(os.getpid(), first)
        os.kill(os.getpid(), signal.SIGTERM)  # ignored: already stopping
        assert stop.signum == first
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert {s: signal.getsignal(s) for s in StopRequests.SIGNALS} == before  # handlers given back


def test_the_stop_line_names_signal_iteration_and_checkpoint():
    assert str(GracefulStop(signal.SIGTERM, 7, "ckpt-7")) == \
        "stopped by SIGTERM at iteration 7; saved ckpt-7; the same command resumes"
    assert "nothing to save" in str(GracefulStop(signal.SIGINT, 0, None))
