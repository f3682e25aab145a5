"""Scored run directories without training, for the paired comparisons: flags.json from main.py's own flags
through the run's own writer (common/rundir/flags_file.py), results.json and results.csv through the
evaluation's own (common/evaluation/aggregate.py and report.py), over per-file scores a test chooses."""
import numpy as np

from common.audio.metrics import METRICS
from common.config import cli
from common.evaluation import aggregate, report
from common.rundir import flags_file
from tests.conftest import CLEAN, TINY_MODEL

FILES = [f"p232_{i:03d}.wav" for i in range(1, 31)]
TEST_SET = "5e0d3c2a9b8f7e61"  # a clean test set's content digest
DATASET = {"path": "/data/segan.tfrecords", "windows": 446, "corpus": "/data", "digest": "0a1b2c3d4e5f6071"}
NOISY_DIR = "/data/noisy_testset_wav_16k"


def scores_like(rng, n: int = len(FILES), shift: float = 0.0) -> dict[str, np.ndarray]:
    """Per-file scores of each metric around a noisy test set's, plus `shift` times each metric's scale."""
    centre = {"pesq": 2.0, "csig": 3.3, "cbak": 2.4, "covl": 2.6, "ssnr": 2.0, "stoi": 0.9}
    scale = {"pesq": 0.5, "csig": 0.6, "cbak": 0.4, "covl": 0.5, "ssnr": 4.0, "stoi": 0.05}
    return {m: centre[m] + scale[m] * (shift + rng.standard_normal(n)) for m in METRICS}


def write_run(root, name, checkpoints, noisy=None, seed=0, attention=True, files=FILES, test_set=TEST_SET,
              missing=()):
    """RUN = root/name: a tiny ISEGAN-2 (with self-attention unless not `attention`) trained with `seed` on
    DATASET, scored at len(checkpoints) checkpoints (each {metric: per-file scores over `files`}) and with
    `noisy` ({metric: per-file scores}) as the Noisy row; the files `missing` are not scored in the last
    checkpoint (results of --allow_incomplete)."""
    run = root / name
    args = cli.parse("isegan", [*TINY_MODEL, "--save_path", str(run), "--seed", str(seed),
                                *(["--self_attention"] if attention else [])])
    flags_file.save_flags(args, str(run), replicas=1, dataset=DATASET)
    dirs = [f"{run}/enhanced/{100 * (k + 1)}" for k in range(len(checkpoints))]
    scores = [{f: {m: float(ckpt[m][j]) for m in METRICS} for j, f in enumerate(files)} for ckpt in checkpoints]
    for f in missing:
        del scores[-1][f]
    found = [{k: [] for k in (*aggregate.PROBLEMS, *aggregate.NOTES)} for _ in range(len(dirs) + 1)]
    found[-1]["missing"] = [{"file": f, "detail": f"no {f} in {dirs[-1]}"} for f in missing]
    noisy_scores = noisy and {f: {m: float(noisy[m][j]) for m in METRICS} for j, f in enumerate(files)}
    summary = aggregate.summarize(CLEAN, len(files), dirs, scores, found[1:],
                                  noisy and (NOISY_DIR, noisy_scores, found[0]), test_set)
    report.write_json(str(run / "results.json"), summary)
    report.write_csv(str(run / "results.csv"), summary, ([noisy_scores] if noisy else []) + scores)
    return run


def two_configurations(root, rng, effect, seeds=(0, 1)):
    """root/ISEGAN-SA-2-seed<S> (A) and root/ISEGAN-2-seed<S> (B) for each of `seeds`, three checkpoints each,
    with the Noisy row; A − B per metric is `effect` (a shift) plus checkpoint noise, both well above the noisy
    input. Returns {'A<S>' and 'B<S>': run directory}."""
    noisy = scores_like(rng)
    base = {m: v + 0.3 * np.abs(v).mean() for m, v in noisy.items()}

    def checkpoints(shift):
        return [{m: base[m] + shift.get(m, 0.0) + 0.01 * rng.standard_normal(len(FILES)) for m in base}
                for _ in range(3)]

    paths = {}
    for seed in seeds:
        paths[f"A{seed}"] = str(write_run(root, f"ISEGAN-SA-2-seed{seed}", checkpoints(effect), noisy, seed=seed))
        paths[f"B{seed}"] = str(write_run(root, f"ISEGAN-2-seed{seed}", checkpoints({}), noisy, seed=seed,
                                          attention=False))
    return paths
