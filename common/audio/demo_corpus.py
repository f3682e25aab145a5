"""A deterministic, offline stand-in for VoiceBank-DEMAND (synthetic: never a substitute for it).

Speech: sentences of common English words spoken by eSpeak NG (common/audio/espeak.py) through voices of
our own, one per speaker (sex, pitch, vocal-tract scale, breathiness, roughness, speaking rate, level), so
consonants, formant transitions and spectral tilt come from a real speech synthesiser; the test speakers
are not the training speakers. Each clean file carries a recording floor shaped like the pauses of
VoiceBank's clean files (FLOOR_BANDS_DB: a low-frequency rumble about 30 dB below the speech, then a floor
near -46 dB per octave). Noise, shaped like everyday noise (VoiceBank's come from DEMAND recordings, which
cannot be fetched here): babble of other talkers, a cafe (babble, clatter, room tone), a vehicle (engine
harmonics over low rumble), a street (traffic rumble with passing swells) and an office (ventilation,
keyboard, a distant talker), mixed at VoiceBank's SNRs over the file. Every file is a pure function of
(seed, split, index), so a corpus is reproducible and can be made in parallel.
"""
from __future__ import annotations

import numpy as np
import scipy.signal

from common.audio.audio import SAMPLE_RATE
from common.audio.espeak import Voice, speak

LISTING_FILE = "demo_corpus.json"  # in the corpus root: every file's noise and SNR; marks a demo corpus
GENERATOR = "espeak-ng 2"  # in the listing; a corpus made by another generator is made anew
NOISE_TYPES = ("babble", "cafe", "vehicle", "street", "office")
TRAIN_SNRS = (0.0, 5.0, 10.0, 15.0)
TEST_SNRS = (2.5, 7.5, 12.5, 17.5)
# The clean files' recording floor: (band in Hz, its power in dB relative to the speech's mean power), the
# median over 44 VoiceBank clean files of their quietest 15 % of frames.
FLOOR_BANDS_DB = (((0, 62), -31.5), ((62, 125), -35.0), ((125, 250), -43.4), ((250, 500), -47.1),
                  ((500, 1000), -47.7), ((1000, 2000), -43.9), ((2000, 4000), -45.6), ((4000, 8001), -49.3))
WORDS = """the a of to and in is it that was for on are with as his they be at one have this from by hot
word but what some we can out other were all there when up use your how said an each she which do their
time if will way about many then them write would like so these her long make thing see him two has look
more day could go come did number sound no most people my over know water than call first who may down
side been now find any new work part take get place made live where after back little only round man year
came show every good me give our under name very through just form sentence great think say help low line
differ turn cause much mean before move right boy old too same tell does set three want air well also play
small end put home read hand port large spell add even land here must big high such follow act why ask men
change went light kind off need house picture try us again animal point mother world near build self earth
father head stand own page should country found answer school grow study still learn plant cover food sun
four between state keep eye never last let thought city tree cross farm hard start might story saw far sea
draw left late run while press close night real life few north open seem together next white children begin
got walk example ease paper group always music those both mark often letter until mile river car feet care
second book carry took science eat room friend began idea fish mountain stop once base hear horse cut sure
watch colour face wood main enough plain girl usual young ready above ever red list though feel talk bird
soon body dog family direct pose leave song measure door product black short numeral class wind question
happen complete ship area half rock order fire south problem piece told knew pass since top whole king space
heard best hour better during hundred five remember step early hold west ground interest reach fast verb
sing listen six table travel less morning ten simple several vowel toward war lay against pattern slow
centre love person money serve appear road map rain rule govern pull cold notice voice unit power town fine
certain fly fall lead cry dark machine note wait plan figure star box noun field rest correct able pound done
beauty drive stood contain front teach week final gave green quick develop ocean warm free minute strong
special mind behind clear tail produce fact street inch multiply nothing course stay wheel full force blue
object decide surface deep moon island foot system busy test record boat common gold possible plane instead
dry wonder laugh thousand ago ran check game shape equate miss brought heat snow tire bring yes distant fill
east paint language among""".split()


def speaker(rng: np.random.Generator) -> dict:
    """A speaker's voice (common/audio/espeak.py), speaking rate and level."""
    female = rng.random() < 0.5
    low = rng.uniform(150, 200) if female else rng.uniform(75, 110)
    tract = rng.uniform(1.06, 1.16) if female else rng.uniform(0.92, 1.02)
    voice = Voice(female=female, pitch=(round(low), round(low * rng.uniform(1.35, 1.6))),
                  formants=tuple(round(100 * tract * rng.uniform(0.97, 1.03)) for _ in range(5)),
                  breath=round(rng.uniform(0, 3 if female else 1.5)), roughness=round(rng.uniform(0, 4)))
    return {"voice": voice, "wpm": round(rng.uniform(140, 185)), "level_db": rng.uniform(-28, -22)}


def sentence(n_words: int, rng: np.random.Generator) -> str:
    return " ".join(WORDS[i] for i in rng.integers(len(WORDS), size=max(1, n_words))) + "."


def speech(seconds: float, spk: dict, rng: np.random.Generator, sr: int = SAMPLE_RATE) -> np.ndarray:
    """An utterance of exactly `seconds`: a sentence that fits, a short pause before it, silence after."""
    total = int(round(seconds * sr))
    words = max(1, int(seconds * spk["wpm"] / 60))
    while True:
        x = speak(sentence(words, rng), spk["voice"], spk["wpm"], seed=int(rng.integers(2 ** 31)))
        lead = int(rng.uniform(0.05, 0.2) * sr)
        if lead + len(x) <= total or words == 1:
            break
        words -= 1
    x = np.pad(x, (lead, 0))[:total]
    x = np.pad(x, (0, total - len(x)))
    rms = np.sqrt(np.mean(x ** 2)) + 1e-12
    return x * (10 ** (spk["level_db"] / 20) / rms)


def _lowpass_noise(n: int, cutoff: float, rng, order: int = 2) -> np.ndarray:
    sos = scipy.signal.butter(order, cutoff, "lowpass", fs=SAMPLE_RATE, output="sos")
    return scipy.signal.sosfilt(sos, rng.standard_normal(n))


def _pink(n: int, rng) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    return np.fft.irfft(spec / np.sqrt(np.maximum(f, 20.0)), n)


def recording_floor(n: int, rng) -> np.ndarray:
    """n samples of the floor of FLOOR_BANDS_DB, relative to speech of unit mean power: white noise whose
    spectrum is flat within each band at that band's power."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    floor = np.zeros(n)
    for (low, high), power_db in FLOOR_BANDS_DB:
        band = np.fft.irfft(np.where((f >= low) & (f < high), spec, 0), n)
        floor += _unit(band) * 10 ** (power_db / 20)
    return floor


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (np.sqrt(np.mean(x ** 2)) + 1e-12)


def _babble(n: int, talkers: int, rng) -> np.ndarray:
    """`talkers` other speakers, each speaking through the whole length, at random offsets."""
    out = np.zeros(n)
    for _ in range(talkers):
        voice = speech(max(n / SAMPLE_RATE, 1.0), speaker(rng), rng)
        out += np.roll(np.resize(voice, n), rng.integers(n))
    return out


def _clicks(n: int, per_second: float, rng, decay_s: float, lowest: float) -> np.ndarray:
    """Short decaying high-passed transients (cutlery, keys) at random times."""
    x = np.zeros(n)
    length = int(decay_s * 6 * SAMPLE_RATE)
    sos = scipy.signal.butter(2, lowest, "highpass", fs=SAMPLE_RATE, output="sos")
    for _ in range(rng.poisson(per_second * n / SAMPLE_RATE)):
        start = rng.integers(0, max(1, n - length))
        decay = np.exp(-np.arange(length) / (decay_s * SAMPLE_RATE))
        burst = scipy.signal.sosfilt(sos, rng.standard_normal(length)) * decay
        x[start:start + length] += burst * rng.uniform(0.3, 1.0)
    return x


def noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise of one of NOISE_TYPES, `n` samples at 16 kHz."""
    t = np.arange(n) / SAMPLE_RATE
    if kind == "babble":
        x = _babble(n, 5, rng)
    elif kind == "cafe":
        x = _unit(_babble(n, 4, rng)) + 0.6 * _unit(_clicks(n, 3.0, rng, 0.01, 2000)) + 0.4 * _unit(_pink(n, rng))
    elif kind == "vehicle":
        rpm = rng.uniform(25, 45) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.05, 0.2) * t))
        phase = 2 * np.pi * np.cumsum(rpm) / SAMPLE_RATE
        engine = sum(np.sin(k * phase + rng.uniform(0, 6.3)) / k for k in range(1, 7))
        x = _unit(_lowpass_noise(n, 300, rng, 4)) + 0.5 * _unit(engine) + 0.15 * _unit(_pink(n, rng))
    elif kind == "street":
        swell = sum(np.exp(-0.5 * ((t - rng.uniform(0, t[-1] + 1e-3)) / rng.uniform(0.5, 1.5)) ** 2)
                    for _ in range(max(1, rng.poisson(0.5 * t[-1] + 1))))
        x = _unit(_lowpass_noise(n, 800, rng)) * (0.4 + swell) + 0.3 * _unit(_pink(n, rng))
    elif kind == "office":
        x = (_unit(_lowpass_noise(n, 500, rng)) + 0.5 * _unit(_clicks(n, 6.0, rng, 0.004, 1500))
             + 0.4 * _unit(_babble(n, 1, rng)))
    else:
        raise ValueError(f"unknown noise type {kind!r}; choose from {NOISE_TYPES}")
    return _unit(x)


def mix(clean: np.ndarray, unit_noise: np.ndarray, snr_db: float, peak: float = 0.95):
    """(clean, noisy) scaled together so that the noisy peak stays below `peak`; SNR over the file."""
    gain = np.sqrt(np.mean(clean ** 2) / 10 ** (snr_db / 10))
    noisy = clean + gain * unit_noise
    scale = min(1.0, peak / np.max(np.abs(noisy)))
    return clean * scale, noisy * scale


def utterance_pair(seed: int, split: str, index: int, n_speakers: int,
                   min_seconds: float, max_seconds: float) -> tuple[str, np.ndarray, np.ndarray, dict]:
    """One (name, clean, noisy, info) example; a pure function of its arguments."""
    split_id = {"train": 0, "test": 1}[split]
    spk_id = index % n_speakers
    spk = speaker(np.random.default_rng([seed, split_id, 10_000 + spk_id]))
    rng = np.random.default_rng([seed, split_id, index])
    snrs = TRAIN_SNRS if split == "train" else TEST_SNRS
    kind = NOISE_TYPES[index % len(NOISE_TYPES)]
    snr = snrs[(index // len(NOISE_TYPES)) % len(snrs)]
    clean = speech(rng.uniform(min_seconds, max_seconds), spk, rng)
    # a recording floor (VoiceBank's clean files have one; digital silence would make the LLR of pause
    # frames, and so CSIG/COVL, meaningless)
    clean = clean + np.sqrt(np.mean(clean ** 2)) * recording_floor(len(clean), rng)
    clean, noisy = mix(clean, noise(kind, len(clean), rng), snr)
    speaker_no = (200 if split == "train" else 900) + spk_id
    name = f"p{speaker_no:03d}_{index // n_speakers + 1:03d}.wav"
    return name, clean, noisy, {"noise": kind, "snr_db": snr}
