"""Shared fixtures and helpers: a seed per test, quiet TensorFlow, two logical CPUs, a small demo corpus and its
records, tiny models and runs, a stand-in chain, synthetic run results and speech-like signals."""
import os
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import dataclasses  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import make_tfrecords  # noqa: E402

from common.audio import demo_corpus, metrics  # noqa: E402
from common.config import cli  # noqa: E402
from common.config.named_configs import tiny  # noqa: E402
from common.config.train_config import RUN_SHAPING, TrainConfig  # noqa: E402
from common.evaluation import aggregate, report  # noqa: E402
from common.rundir import flags_file  # noqa: E402
from scripts import make_demo_corpus  # noqa: E402
from tests import synthetic_speech  # noqa: E402


def pytest_configure(config):
    """Two logical CPU devices, so tf.distribute code runs with two replicas on a machine without GPUs (and two
    logical GPUs from a single GPU: tests/devices.py). Not in pytest-xdist's controller, which runs no test:
    TensorFlow stays out of that process."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return
    from common.system.quiet_tf import import_tensorflow
    from tests import devices

    import_tensorflow()
    devices.configure()


def seed_of(node) -> int:
    """A test's own seed, from its id: the same numbers whatever ran before it, in whichever process.
    TEST_SEED_SALT=k gives every test other draws (a sweep over k finds tolerances that hold for one draw only)."""
    salt = os.environ.get("TEST_SEED_SALT", "")
    return zlib.crc32(f"{salt}:{node.nodeid}".encode() if salt else node.nodeid.encode())


@pytest.fixture(autouse=True)
def seed_global_streams(request):
    """Python's, NumPy's, TensorFlow's and Keras' global streams (initial weights, z, input noise) seeded
    per test. Session fixtures that draw seed themselves: they are built inside whichever test comes first."""
    import keras

    keras.utils.set_random_seed(seed_of(request.node))


@pytest.fixture
def rng(request):
    """The test's own NumPy generator (tests/test_determinism.py forbids streams shared across tests)."""
    return np.random.default_rng(seed_of(request.node))


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """A deterministic 12-train / 4-test-pair demo corpus of 1.2–2.5 s files."""
    out = tmp_path_factory.mktemp("demo")
    assert make_demo_corpus.main(["--out_dir", str(out), "--train_files", "12", "--test_files", "4",
                                  "--min_seconds", "1.2", "--max_seconds", "2.5", "--jobs", "2"]) == 0
    return out


@pytest.fixture(scope="session")
def demo_records(demo_dir):
    """Training records of the demo corpus at the full canvas: (path, windows)."""
    assert make_tfrecords.main(["--wav_dir", str(demo_dir / "clean_trainset_wav_16k"),
                                "--noisy_dir", str(demo_dir / "noisy_trainset_wav_16k"),
                                "--save_path", str(demo_dir), "--out_file", "train.tfrecords",
                                "--jobs", "2"]) == 0
    return demo_dir / "train.tfrecords"


HOSTILE_NAME = "John's \"data\" $(touch INJECTED) `touch INJECTED`"  # quotes, spaces, substitutions


@pytest.fixture
def run_script_env(demo_dir, tmp_path):
    """The environment of a run script on the demo corpus (linked into a folder whose name holds quotes, spaces
    and command substitutions, HOSTILE_NAME/data/demo; DEMO=1) with a small model: runs
    go to HOSTILE_NAME/runs/demo/."""
    root = tmp_path / HOSTILE_NAME
    data = root / "data" / "demo"
    data.mkdir(parents=True)
    for name in ("clean_trainset_wav_16k", "noisy_trainset_wav_16k", "clean_testset_wav_16k",
                 "noisy_testset_wav_16k", demo_corpus.LISTING_FILE):
        os.symlink(demo_dir / name, data / name)
    return {**os.environ, "DATA_DIR": str(root / "data"), "DEMO": "1", "RUN_DIR": str(root / "runs"), "GPUS": "",
            "TF_CPP_MIN_LOG_LEVEL": "3", "BATCH_SIZE": "2",  # the quick recipe (BATCH_SIZE wins), smaller, shorter:
            "EXTRA_FLAGS": "--g_enc_depths 8,8,16,16,32 --d_num_fmaps 8,8,16,16,32 --save_freq 1 --seed 0"}


TINY_MODEL = ["--canvas_size", "512", "--g_enc_depths", "8,8,16,16,32", "--d_num_fmaps", "8,8,16,16,32",
              "--att_layer_ind", "2"]


def tiny_args(variant, run_dir, records, *extra):
    """Parsed main.py flags of a tiny model training on `records` into `run_dir`."""
    return cli.parse(variant, [*TINY_MODEL, "--e2e_dataset", str(records), "--save_path", str(run_dir),
                                  "--batch_size", "4", "--save_freq", "2", "--log_freq", "1", *extra])


@pytest.fixture(scope="session")
def tiny_records(demo_dir):
    """Training records of the demo corpus with a 512-sample canvas, for the tiny models."""
    assert make_tfrecords.main(["--wav_dir", str(demo_dir / "clean_trainset_wav_16k"),
                                "--noisy_dir", str(demo_dir / "noisy_trainset_wav_16k"),
                                "--save_path", str(demo_dir), "--out_file", "tiny.tfrecords",
                                "--canvas_size", "512", "--jobs", "2"]) == 0
    return demo_dir / "tiny.tfrecords"


@pytest.fixture(scope="session")
def two_replicas():
    """One MirroredStrategy over the two logical CPUs for the whole session: separate strategy objects
    in one process would reuse collective-op keys and clash."""
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


@pytest.fixture(scope="session")
def one_replica():
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(["/cpu:0"])


@pytest.fixture(scope="session")
def device_replicas(request):
    """Two replicas on the devices under test (tests/devices.py): the two GPUs, else the two logical CPUs (the
    session's one strategy over them)."""
    import tensorflow as tf

    from tests import devices

    if not tf.config.list_logical_devices("GPU"):
        return request.getfixturevalue("two_replicas")
    return tf.distribute.MirroredStrategy(devices.under_test())


@pytest.fixture(scope="session")
def device_replica():
    """One replica on the device under test."""
    import tensorflow as tf

    from tests import devices

    return tf.distribute.MirroredStrategy(devices.under_test()[:1])


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, one_replica):
    """A run directory (flags.json, checkpoint 0) of an untrained tiny ISEGAN-SA-2."""
    from common.training.training_run import TrainingRun

    run = tmp_path_factory.mktemp("runs") / "ISEGAN-SA-2"
    args = cli.parse("isegan", [*TINY_MODEL, "--iterations", "2", "--self_attention", "--save_path", str(run),
                                   "--seed", "0"])
    flags_file.save_flags(args, str(run))
    TrainingRun(args, one_replica).save()
    return run


class HalfChain:
    """A stand-in chain whose last stage halves its input."""

    def __call__(self, w):
        return [w, 0.5 * w]


CLEAN = "/data/clean_testset_wav_16k"  # the clean test set that make_run's results name


def make_run(root, name, pesq=None, corpus=None, clean_dir=CLEAN, scored=(4, 4, 4, 4, 4), n_expected=4, cfg=None):
    """A run directory with flags.json (`cfg`, default a tiny model of that name; `corpus` in its dataset entry) and, with
    `pesq` (one value per checkpoint), a results.json over `clean_dir` whose checkpoint i scored the first
    scored[i] of n_expected files."""
    run = root / name
    run.mkdir(parents=True)
    cfg = cfg or tiny(name.split("-L")[0])
    training = {**{k: getattr(TrainConfig(), k) for k in RUN_SHAPING}, "replicas": 1}
    flags = {"variant": cfg.variant, "model": dataclasses.asdict(cfg), "training": training, "flags": {},
             "dataset": corpus and {"path": f"/data/{corpus}/segan.tfrecords", "windows": 100, "corpus": corpus},
             "changes": []}
    (run / "flags.json").write_text(json.dumps(flags))
    if pesq is not None:
        dirs = [f"{run}/enhanced/{i}" for i in range(len(pesq))]
        files = [f"f{j}.wav" for j in range(n_expected)]
        scores = [{f: {m: p if m == "pesq" else 0.5 + i for m in metrics.METRICS} for f in files[:n]}
                  for i, (p, n) in enumerate(zip(pesq, scored))]
        found = [{k: [{"file": f, "detail": "no such file"} for f in files[n:]] if k == "missing" else []
                  for k in (*aggregate.PROBLEMS, *aggregate.NOTES)} for n in scored]
        summary = aggregate.summarize(clean_dir, n_expected, dirs, scores, found)
        report.write_json(str(run / "results.json"), summary)
    return cfg


def speech(seconds, seed):
    """Speech-like signal over a -80 dBFS noise floor, like a recording (no digital silence)."""
    rng = np.random.default_rng(seed)
    x = synthetic_speech.speech(seconds, synthetic_speech.speaker(rng), rng)
    return x + 1e-4 * rng.standard_normal(len(x))


def noisy(x, snr_db, seed=1):
    n = np.random.default_rng(seed).standard_normal(len(x))
    return x + n * np.sqrt(np.mean(x ** 2) / np.mean(n ** 2) / 10 ** (snr_db / 10))
