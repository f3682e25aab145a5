"""The whole-file enhancement that the streamed one replaced (common/enhancement/, before streaming): the signal
in memory at once. Kept as the reference that Enhancer.stream, enhance_dir and enhance_file must equal sample
for sample (tests/test_enhance_stream.py)."""
import numpy as np
import scipy.signal

from common.audio import audio


def process(enhancer, x):
    """A float signal at 16 kHz → its enhanced float32 signal ([stages, T] with all_stages)."""
    x = audio.pre_emphasis(x, enhancer.preemph)
    if enhancer.hop == enhancer.canvas:
        count = max(1, -(-len(x) // enhancer.canvas))
        padded = np.pad(x, (0, count * enhancer.canvas - len(x)))
        out = enhancer.windows_out(padded.reshape(count, enhancer.canvas))
        y = out.reshape(len(out), -1)[:, :len(x)]
    else:
        lead = enhancer.canvas - enhancer.hop
        count = -(-(len(x) + lead) // enhancer.hop)
        padded = np.pad(x, (lead, count * enhancer.hop + enhancer.canvas - len(x) - lead))
        starts = np.arange(count) * enhancer.hop
        out = enhancer.windows_out(np.stack([padded[s:s + enhancer.canvas] for s in starts]))
        w = scipy.signal.get_window("hann", enhancer.canvas, fftbins=True).astype(np.float32)
        acc = np.zeros((len(out), len(padded)), np.float32)
        norm = np.zeros(len(padded), np.float32)
        for i, s in enumerate(starts):
            acc[:, s:s + enhancer.canvas] += w * out[:, i]
            norm[s:s + enhancer.canvas] += w
        y = (acc / np.maximum(norm, 1e-6))[:, lead:lead + len(x)]
    y = audio.de_emphasis(y, enhancer.preemph)
    return y if enhancer.all_stages else y[0]


def enhance_signal(enhancer, x, sample_rate):
    """A float signal at any rate, [T] or [T, C] → the enhanced signal of the same shape and rate."""
    channels = np.asarray(x, np.float32).reshape(len(x), -1).T
    out = np.zeros(channels.shape, np.float32)
    for c, signal in enumerate(channels):
        x16 = audio.resample(signal, sample_rate, audio.SAMPLE_RATE)
        if len(x16):
            y = audio.resample(process(enhancer, x16), audio.SAMPLE_RATE, sample_rate)[:len(x)]
            out[c, :len(y)] = y
    return out.T.reshape(np.shape(x))
