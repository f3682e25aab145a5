"""Import TensorFlow without its start-up noise on stderr.

TensorFlow's C++ libraries log a few lines while they load and when the devices are first initialised
(`WARNING: All log messages before absl::InitializeLog() ...`, `I0000 ... port.cc] oneDNN custom operations
are on`, `I0000 ... cudart_stub.cc] Could not find cuda drivers`, `I0000 ... cpu_feature_guard.cc] ...`, and
on a machine without a CUDA driver `E0000 ... cuda_platform.cc] failed call to cuInit`). Several of them are
written before absl logging is initialised, so no environment variable removes them (TF_CPP_MIN_LOG_LEVEL=3
still leaves the absl warning, port.cc and cudart_stub lines, and it would also hide real TensorFlow errors
for the rest of the run). The only reliable way is to point file descriptor 2 at a temporary file while
TensorFlow is imported and the devices are listed, and afterwards pass on everything that is not known noise.

Usage, in an entry point, before anything else imports tensorflow (keras included):

    from common.system.quiet_tf import import_tensorflow
    tf = import_tensorflow()

Later `import tensorflow as tf` statements in other modules then hit the module cache and print nothing.
Every process has to do this itself: a spawned worker should call import_tensorflow() before it imports a
module that imports tensorflow. Call it before starting threads (fd 2 is process-wide).
`quiet_audio_summary` does the same for the one error-level line TensorFlow logs at its first audio summary.
Set TF_CPP_MIN_LOG_LEVEL=0 (or TF_CPP_MAX_VLOG_LEVEL / TF_CPP_VMODULE) to see everything, unfiltered.
"""
import contextlib
import os
import re
import sys
import tempfile

# Header of an absl/glog log line: severity, MMDD, time (before absl is initialised: 00:00:<epoch seconds>),
# thread id, file:line]
_LOG_HEADER = re.compile(r"^([IWEF])\d{4} [\d:.]+\s+\d+ \S+:\d+\] ")


def _debugging():
    """True if the user asked TensorFlow to be verbose; then nothing is filtered. A value of 1-3 (e.g.
    inherited from a parent process or set by a test) keeps the filter on."""
    env = os.environ
    return (env.get("TF_CPP_MIN_LOG_LEVEL", "").strip() == "0"
            or bool(env.get("TF_CPP_MAX_VLOG_LEVEL")) or bool(env.get("TF_CPP_VMODULE")))


def _without_noise(text):
    """`text` minus the known start-up noise; every other line (warnings, errors, Python output) is kept."""
    no_driver = "Could not find cuda drivers" in text  # then a failing cuInit is expected, not an error
    kept = []
    for line in text.splitlines(keepends=True):
        header = _LOG_HEADER.match(line)
        if line.startswith("WARNING: All log messages before absl::InitializeLog()"):
            continue
        if header and header.group(1) == "I":  # informational lines only
            continue
        if line.startswith("To enable the following instructions:"):  # 2nd line of cpu_feature_guard's
            continue
        if header and header.group(1) == "E" and no_driver and "failed call to cuInit" in line:
            continue
        if header and "oneDNN supports DT_STRING only on platforms with AVX-512" in line:
            continue
        kept.append(line)
    return "".join(kept)


@contextlib.contextmanager
def quiet_stderr():
    """Run the body with fd 2 in a temporary file; afterwards pass on everything that is not known noise
    (everything, unfiltered, if the body raised)."""
    sys.stderr.flush()  # anything Python has buffered goes out before fd 2 is moved
    saved_fd = os.dup(2)
    failed = True
    with tempfile.TemporaryFile() as buf:
        os.dup2(buf.fileno(), 2)
        try:
            yield
            failed = False
        finally:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            buf.seek(0)
            text = buf.read().decode("utf-8", errors="replace")
            text = text if failed else _without_noise(text)
            if text:
                sys.stderr.write(text)
                sys.stderr.flush()


def import_tensorflow():
    """Import TensorFlow and initialise its devices with the start-up noise removed; returns the module.
    Unless the user chose a level, TensorFlow's own C++ log keeps errors only (TF_CPP_MIN_LOG_LEVEL=2)."""
    if _debugging():
        import tensorflow as tf
        tf.config.list_physical_devices()
        return tf
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with quiet_stderr():
        import tensorflow as tf
        tf.config.list_physical_devices()  # device initialisation (the cuInit line) inside the window
    return tf


def quiet_audio_summary(*args, **kwargs):
    """tf.summary.audio without the error-level line TensorFlow's oneDNN build logs on its first use on a
    CPU without AVX-512 (`util.cc] oneDNN supports DT_STRING only ...`; it then uses Eigen, correctly)."""
    import tensorflow as tf

    if _debugging():
        return tf.summary.audio(*args, **kwargs)
    with quiet_stderr():
        return tf.summary.audio(*args, **kwargs)
