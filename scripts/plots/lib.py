"""Shared by the plot scripts: headless matplotlib, saving a figure, a test file."""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import scipy.signal  # noqa: E402

from common.audio import audio  # noqa: E402

DB_RANGE = 80.0  # spectrogram colour range below the loudest bin


def save(fig, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {path}")




def read_16k(path: str) -> np.ndarray:
    """A mono wav as float32 at 16 kHz (resampled if needed), scaled as at test time."""
    try:
        return audio.normalize(audio.read_wav_int16(path, allow_resample=True))
    except audio.AudioError as e:
        raise SystemExit(f"error: {e}") from None


def spectrogram(ax, x: np.ndarray, title: str, top_db: float | None = None) -> float:
    """Log-magnitude spectrogram (32 ms Hann, 8 ms hop) into ax; returns its top dB (for shared scales)."""
    f, t, z = scipy.signal.stft(x, audio.SAMPLE_RATE, nperseg=512, noverlap=384)
    db = 20 * np.log10(np.abs(z) + 1e-10)
    top = db.max() if top_db is None else top_db
    ax.pcolormesh(t, f / 1000, db, vmin=top - DB_RANGE, vmax=top, cmap="magma", shading="auto")
    ax.set(title=title, ylabel="kHz")
    return top
