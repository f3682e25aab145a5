"""Text to speech with eSpeak NG, for the demo corpus: the library and its voice data come inside the
`espeakng-loader` wheel (requirements.txt), called through ctypes; no system package, no network.

Speech is a pure function of the arguments: the voices are our own (`Voice`, written as eSpeak voice
files) without pitch flutter, whose phase eSpeak carries from one utterance to the next, and the noise
of breathy voices is seeded per utterance.
"""
from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import os
import tempfile

import numpy as np

from common.audio.audio import SAMPLE_RATE, resample

_SYNCHRONOUS = 2               # espeak_AUDIO_OUTPUT: samples handed to the callback, no playback
_POS_CHARACTER, _CHARS_UTF8 = 1, 1
_RATE = 1                      # espeak_PARAMETER: words per minute
_MAX_VOICE_PATH = 54           # the longest voice-file path measured to load
_engine = None


class SpeechError(RuntimeError):
    """eSpeak NG could not be loaded or could not speak."""


@dataclasses.dataclass(frozen=True)
class Voice:
    """An English voice: pitch range in Hz, formant frequencies F1-F5 in % of eSpeak's reference tract,
    breathiness 0-3 and roughness 0-7 (eSpeak's voice-file attributes of those names)."""
    female: bool
    pitch: tuple
    formants: tuple = (100, 100, 100, 100, 100)
    breath: int = 0
    roughness: int = 0

    def file_text(self) -> str:
        lines = ["language en", "gender " + ("female" if self.female else "male"),
                 f"pitch {self.pitch[0]} {self.pitch[1]}", "flutter 0", f"roughness {self.roughness}",
                 *(f"formant {k} {f} 100 100" for k, f in enumerate(self.formants, 1)),
                 "breath 0 " + " ".join([str(self.breath)] * 7)]  # always: a voice file keeps the last one's
        return "\n".join(lines) + "\n"


class _Engine:
    def __init__(self):
        try:
            import espeakng_loader
            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data = espeakng_loader.get_data_path()
        except (ImportError, OSError, RuntimeError) as e:
            raise SpeechError(f"eSpeak NG is not usable ({e}): "
                              "bash scripts/setup.sh installs espeakng-loader") from None
        self.rate = self.lib.espeak_Initialize(_SYNCHRONOUS, 0, data.encode(), 0)
        if self.rate <= 0:
            raise SpeechError(f"eSpeak NG failed to start with the voice data in {data}")
        self.chunks: list[np.ndarray] = []
        callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
        self._callback = callback(self._collect)  # kept alive as long as the engine
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, samples, n, _events) -> int:
        if n > 0:
            self.chunks.append(np.ctypeslib.as_array(samples, shape=(n,)).copy())
        return 0

    def _set_voice(self, voice: Voice) -> None:
        """eSpeak reads a voice from a file, once, when it is set: the file lives only that long (a folder kept for
        the process would outlive worker processes, which end without running finalisers)."""
        with tempfile.TemporaryDirectory(prefix="espeak_", dir=_short_temporary_folder()) as folder:
            text = voice.file_text()
            path = os.path.join(folder, hashlib.sha1(text.encode()).hexdigest()[:12])  # a name per voice
            with open(path, "w") as f:
                f.write(text)
            if self.lib.espeak_SetVoiceByFile(path.encode()) != 0:
                raise SpeechError(f"eSpeak NG rejected the voice {voice}")

    def say(self, text: str, voice: Voice, wpm: int, seed: int) -> np.ndarray:
        self.chunks = []
        self._set_voice(voice)
        self.lib.espeak_SetParameter(_RATE, int(wpm), 0)
        self.lib.espeak_ng_SetRandSeed(int(seed))
        encoded = text.encode()
        if self.lib.espeak_Synth(encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None) != 0:
            raise SpeechError(f"eSpeak NG could not speak {text[:40]!r}")
        self.lib.espeak_Synchronize()
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)


def _short_temporary_folder() -> str:
    """The temporary folder, or /tmp where its path is too long for eSpeak NG, which silently cuts a voice file's
    path (measured: 54 characters load, 64 do not; ours adds 29 to the folder's)."""
    for folder in (tempfile.gettempdir(), "/tmp"):
        if len(folder) + 29 <= _MAX_VOICE_PATH and os.access(folder, os.W_OK):
            return folder
    raise SpeechError(f"no temporary folder with a path of at most {_MAX_VOICE_PATH - 29} characters for eSpeak NG's "
                      f"voice files ({tempfile.gettempdir()} is {len(tempfile.gettempdir())}, /tmp not writable): "
                      f"set TMPDIR to a shorter one")


def speak(text: str, voice: Voice, wpm: int = 160, seed: int = 0) -> np.ndarray:
    """`text` spoken by `voice` at `wpm` words per minute: float64 samples at 16 kHz, full scale 1.0."""
    global _engine
    if _engine is None:
        _engine = _Engine()
    samples = _engine.say(text, voice, wpm, seed)
    return resample(samples.astype(np.float64) / 32768.0, _engine.rate, SAMPLE_RATE)
