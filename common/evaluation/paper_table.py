"""The paper's results table from run directories (scripts/paper_table.py prints it): a row per configuration
from its runs' flags.json and results.json (the seeds of a configuration, RUNS/<NAME>-seed<S>, in one row), the
Noisy row scored with the same evaluator (cached), the published rows that have a source, one corpus and one
clean test set per table."""
from __future__ import annotations

import collections
import csv
import json
import os

import numpy as np

from common.audio.metrics import METRICS
from common.audio.voicebank import wav_dir
from common.config.named_configs import PAPER_CONFIGS, name_of
from common.evaluation import aggregate, published, report, scoring, tables
from common.evaluation.configurations import differences_of_flags, identity
from common.evaluation.tables import cell
from common.rundir import flags_file, layout, run_record
from common.rundir.layout import TESTED_CHECKPOINTS
from common.system.errors import RunDirError, UserError
from common.system.quiet_tf import import_tensorflow

NOISY_CACHE = "noisy_results.json"
NOISY_DIR = wav_dir("noisy", "test")  # beside the clean test dir
DEMO = "demo"
CORPUS_LABELS = {DEMO: "demo (synthetic, not VoiceBank-DEMAND)",
                 "unknown": "unknown (the runs' flags.json do not name their data set)"}


def run_summary(run_dir: str) -> dict:
    """A run's row: name, base and seed_in_name (its folder's name split: ISEGAN-SA-2-seed1 → ISEGAN-SA-2, 1),
    config, seed (flags.json's), corpus, clean_dir, g_params, n_ckpts, mean, std (None without a mean over
    checkpoints; over the checkpoints: std_over), n_files, n_expected, notes (what is missing), runs (its
    directories)."""
    import_tensorflow()  # not at import: the tables need no TensorFlow until they count parameters
    from common.models.build import parameter_counts

    flags = flags_file.load_flags(run_dir)
    cfg = run_record.model_config(flags)
    name = os.path.basename(os.path.normpath(run_dir))
    base, seed_in_name = layout.split_seed(name)
    row = {"name": name, "base": base, "seed_in_name": seed_in_name, "config": name_of(cfg),
           "seed": flags["training"].get("seed"), "corpus": (flags.get("dataset") or {}).get("corpus", "unknown"),
           "g_params": parameter_counts(cfg)[0], "flags": flags, "clean_dir": None, "runs": [run_dir],
           "n_ckpts": 0, "mean": None, "std": None, "std_over": "checkpoints", "n_files": None, "n_expected": None,
           "notes": []}
    path = os.path.join(run_dir, layout.RESULTS_JSON)
    try:
        with open(path) as f:
            results = json.load(f)
    except FileNotFoundError:
        row["notes"].append("no results.json (not evaluated yet)")
        return row
    except (OSError, ValueError) as e:
        raise RunDirError(f"{path}: unreadable ({e})") from None
    if not isinstance(results, dict) or "n_expected" not in results:
        row["notes"].append("results.json from an older scripts/evaluate.py (no file counts): evaluate again")
        return row
    try:
        return with_results(row, results)
    except (KeyError, TypeError, ValueError) as e:
        raise RunDirError(f"{path}: not a results file of scripts/evaluate.py ({type(e).__name__}: {e})") from None


def with_results(row: dict, results: dict) -> dict:
    """The row with the means, counts and notes of the run's results.json."""
    row["clean_dir"] = results["clean_dir"]
    for d in results["dirs"]:  # enhanced/<iteration>
        if not d["complete"]:
            row["notes"].append(f"checkpoint {os.path.basename(os.path.normpath(d['dir']))}: "
                                f"{aggregate.ratio(d)} files scored")
    across = results["across"]
    if across is None:
        row["notes"].append(f"no mean over the checkpoints: {results['across_note']}")
        return row
    row.update(n_ckpts=across["n_dirs"], mean=across["mean"], std=across["std"], n_files=across["n_files"],
               n_expected=across["n_expected"])
    if across["n_dirs"] != TESTED_CHECKPOINTS:
        row["notes"].append(f"{across['n_dirs']} checkpoint(s) scored, {TESTED_CHECKPOINTS} expected")
    return row


def same_dir(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def noisy_row(noisy_dir: str, clean_dir: str, cache: str, jobs: int) -> dict:
    """The Noisy row: the noisy test files scored against the clean ones, cached in `cache`."""
    summary = None
    if os.path.exists(cache):
        with open(cache) as f:
            summary = json.load(f)
        if not ("n_expected" in summary and same_dir(summary["clean_dir"], clean_dir)
                and same_dir(summary["dirs"][0]["dir"], noisy_dir)):
            summary = None
    if summary is None:
        summary, _ = scoring.score_dirs(clean_dir, [noisy_dir], jobs)
        report.write_json(cache, summary)
    d = summary["dirs"][0]
    return {"name": "Noisy", "g_params": None, "n_ckpts": None, "mean": d["mean"], "std": None,
            "n_files": d["n_files"], "n_expected": d["n_expected"],
            "notes": [] if d["complete"] else [f"{aggregate.ratio(d)} noisy files scored (problems in {cache})"]}


def order(runs: list[dict], all_runs: bool) -> tuple[list[dict], list[str]]:
    """The runs of the paper's configurations (named NAME or NAME-seed<S>) in table order, then (all_runs) the
    other runs by name; and a note for each run whose flags.json is not what its name says (another
    configuration, another seed), left out."""
    rows, mismatched = [], []
    for r in sorted(runs, key=lambda r: r["name"]):
        if r["base"] in PAPER_CONFIGS and r["config"] != r["base"]:
            mismatched.append(f"{r['name']}: its {layout.FLAGS_FILE} records {r['config']}, not {r['base']}")
        elif r["seed_in_name"] is not None and r["seed"] != r["seed_in_name"]:
            mismatched.append(f"{r['name']}: its {layout.FLAGS_FILE} records seed {r['seed']}, not "
                              f"{r['seed_in_name']}")
        elif r["base"] in PAPER_CONFIGS or all_runs:
            rows.append(r)
    place = {name: i for i, name in enumerate(PAPER_CONFIGS)}
    return sorted(rows, key=lambda r: (place.get(r["base"], len(place)), r["base"])), mismatched


def combine_seeds(rows: list[dict]) -> tuple[list[dict], list[str]]:
    """One row per configuration (rows in table order): the seeds of one configuration (the same base name)
    combined by seeds_row; of runs that differ in more than the seed, the largest group is kept and the others
    are left out with what differs."""
    out, left_out = [], []
    for base in dict.fromkeys(r["base"] for r in rows):
        groups: dict[str, list[dict]] = {}
        for r in (r for r in rows if r["base"] == base):
            groups.setdefault(repr(sorted(identity(r["flags"]).items())), []).append(r)
        kept, *others = sorted(groups.values(), key=len, reverse=True)
        for group in others:
            differ = ", ".join(differences_of_flags(kept[0]["flags"], group[0]["flags"]))
            left_out += [f"{r['name']}: differs from {kept[0]['name']} in more than the seed ({differ})" for r in group]
        out.append(kept[0] if len(kept) == 1 else seeds_row(base, kept))
    return out, left_out


def seeds_row(base: str, runs: list[dict]) -> dict:
    """The row of several seeds of one configuration: per metric the mean over the scored seeds of each seed's
    mean over its checkpoints, ± the std over those seeds (with one scored seed: its own row's, over
    checkpoints); the fewest files any seed scored; each seed's notes, named."""
    scored = [r for r in runs if r["mean"] is not None]
    row = {**runs[0], "name": base, "runs": [p for r in runs for p in r["runs"]], "seeds": len(runs),
           "seeds_scored": len(scored), "n_ckpts": sum(r["n_ckpts"] for r in scored),
           "clean_dir": next((r["clean_dir"] for r in runs if r["clean_dir"]), None),
           "notes": [f"{r['name']}: {note}" for r in runs for note in r["notes"]]}
    if len(scored) == 1:
        row.update({k: scored[0][k] for k in ("mean", "std", "n_files", "n_expected")})
    elif scored:
        row.update(mean={m: float(np.mean([r["mean"][m] for r in scored])) for m in METRICS},
                   std={m: float(np.std([r["mean"][m] for r in scored], ddof=1)) for m in METRICS}, std_over="seeds",
                   n_files=min(r["n_files"] for r in scored), n_expected=scored[0]["n_expected"])
    else:
        row.update(mean=None, std=None, n_files=None, n_expected=None)
    return row


def majority(values: dict[str, str], what: str, option: str):
    """The value most runs share ({run name: value}; None for no runs); a tie is an error."""
    counts = collections.Counter(values.values()).most_common()
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        groups = "; ".join(f"{v}: " + ", ".join(n for n in values if values[n] == v) for v, _ in counts)
        raise UserError(f"no {what} is shared by most runs ({groups}); choose one with {option}")
    return counts[0][0] if counts else None


def select(runs: list[dict], corpus: str, clean_dir) -> tuple[list[dict], list[str]]:
    """The runs of `corpus` evaluated on `clean_dir` (or not evaluated), and a note for each other run."""
    kept, left_out = [], []
    for r in runs:
        if r["corpus"] != corpus:
            left_out.append(f"{r['name']}: corpus {r['corpus']}, not {corpus}")
        elif r["clean_dir"] and not same_dir(r["clean_dir"], clean_dir):
            left_out.append(f"{r['name']}: evaluated on {r['clean_dir']}, not on {clean_dir}")
        else:
            kept.append(r)
    return kept, left_out


def label(row: dict) -> str:
    """The row's name (and its configuration when that is another), with its seeds (k seeds; k of n scored) and
    n/N beside it when its mean is over fewer files than the clean test set."""
    partial = row["n_files"] is not None and row["n_expected"] is not None and row["n_files"] != row["n_expected"]
    config = f" [{row['config']}]" if row.get("config", row["name"]) != row.get("base", row["name"]) else ""
    seeds = ""
    if row.get("seeds"):
        seeds = (f" ({row['seeds']} seeds)" if row["seeds_scored"] == row["seeds"]
                 else f" ({row['seeds_scored']} of {row['seeds']} seeds scored)")
    return row["name"] + config + seeds + (f" ({aggregate.ratio(row)} files)" if partial else "")


def markdown(head: str, rows: list[dict], left_out: list[str], rows_published) -> str:
    labels = [aggregate.LABELS[m] for m in METRICS]
    table = [[label(r), *(cell(*(r[k][m] if r[k] else None for k in ("mean", "std")), digits=3) for m in METRICS),
              f"{r['g_params'] / 1e6:.2f} M" if r["g_params"] else "—"] for r in rows]
    table += [[f"{name} (published)", *(cell(values.get(m), digits=3 if m == "stoi" else 2) for m in METRICS), "—"]
              for name, values, _ in rows_published]  # as printed in the source
    lines = [head, "", *tables.markdown(["Model", *labels, "G parameters"], table)]
    lines += ["", f"Ours: mean over files per checkpoint, then mean ± sample std over the evaluated checkpoints "
              f"({TESTED_CHECKPOINTS} expected); a row of k seeds (RUNS/NAME-seed<S>): the mean over the seeds of "
              f"each seed's mean, ± the sample std over the seeds; PESQ wideband MOS-LQO, SSNR in dB, STOI classic in [0, 1]; "
              f"G parameters counted on the model of the run's flags. Noisy: the unprocessed noisy test files. "
              f"n/N beside a name: its mean is over the n of the N clean test files that were scored. All-zero outputs are "
              f"scored at the metric floors (docs/metrics.md §11)."]
    notes = [f"- {r['name']}: " + "; ".join(r["notes"]) for r in rows if r["notes"]]
    if notes:
        lines += ["", "Notes:"] + notes
    if left_out:
        lines += ["", "Left out (another corpus or clean test set, a run whose flags.json is not the configuration "
                  "its name says, or whose files cannot be read; never mixed into this table):"]
        lines += [f"- {note}" for note in left_out]
    if rows_published:
        lines += ["", "Published (not ours; VoiceBank-DEMAND):"]
        lines += [f"- {name}: {source}" for name, _, source in rows_published]
        lines += ["- Result tables not retrieved, so no published figures are shown for: "
                  + "; ".join(published.NOT_RETRIEVED) + " (docs/design.md §12)."]
    else:
        lines += ["", "Published VoiceBank-DEMAND figures are not shown beside the synthetic demo corpus."]
    return "\n".join(lines) + "\n"


def write_csv(path: str, corpus: str, rows: list[dict], rows_published) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "kind", "corpus", "files", "checkpoints", "seeds", "std_over",
                    *[f"{m}{s}" for m in METRICS for s in ("", "_std")], "g_params", "notes_or_source"])
        for r in rows:
            w.writerow([r["name"], "ours", corpus, aggregate.ratio(r) if r["n_files"] is not None else "",
                        r["n_ckpts"] if r["n_ckpts"] is not None else "", r.get("seeds_scored", ""),
                        r["std"] and r["std_over"],
                        *[("" if r[k] is None else f"{r[k][m]:.6f}") for m in METRICS for k in ("mean", "std")],
                        r["g_params"] or "", "; ".join(r["notes"])])
        for name, values, source in rows_published:
            w.writerow([name, "published", "VoiceBank-DEMAND", "", "", "", "",
                        *[(values.get(m, "") if k == "" else "") for m in METRICS for k in ("", "_std")], "", source])
