"""The GPU check's figures as lines and as the markdown report (scripts/bench/gpu_check.py gathers them)."""
from common.config.named_configs import PAPER_CONFIGS, named_config, paper_windows, tiny
from common.evaluation import tables
from scripts.bench.lib import PAPER_RUN_WINDOWS, iteration_flops

MODE_NOTES = {"fp32": "float32 with TF32 off", "tf32": "TensorFlow's default: TF32 on GPUs that have it (Ampere and "
              "newer), the same as fp32 elsewhere", "xla": "--xla", "bfloat16": "--mixed_precision bfloat16",
              "float16": "--mixed_precision float16 (loss-scaled)"}


def paper_run_hours(row) -> float:
    """Hours of the paper's 100 epochs at a timed row's rate on one device (PAPER_RUN_WINDOWS through the step)."""
    return PAPER_RUN_WINDOWS / row["windows_per_second"] / 3600


def speed_line(row) -> str:
    head = f"{row['config']} {row['mode']}, {row['kernels']} kernels: "
    if "error" in row:
        return head + row["error"]
    return head + (f"{row['windows_per_second']:.2f} windows/s ({row['seconds_per_iteration']:.3f} s/iteration at "
                   f"{row['batch']} windows), {100 * row['share_of_matmul']:.1f} % of the fp32 matmul rate, "
                   f"{row['peak_memory_bytes'] / 2**30:.2f} GiB peak; a paper run {paper_run_hours(row):.1f} h")


def hours(speed, first, small=False) -> dict:
    """Per mode: the faster kernel form of `first`'s timings, and every configuration's paper-run hours at that rate
    scaled by its conv FLOPs per window (the same work per window as `first`'s timed step, in FLOPs)."""
    out = {}
    for mode in dict.fromkeys(r["mode"] for r in speed):
        rows = [r for r in speed if r["config"] == first and r["mode"] == mode and "error" not in r]
        if not rows:
            continue
        best = min(rows, key=lambda r: r["seconds_per_iteration"])
        rate = best["flops_per_iteration"] / best["seconds_per_iteration"]
        configs = {name: PAPER_RUN_WINDOWS / 2 * iteration_flops(tiny(name) if small else named_config(name), 1)
                   / rate / 3600 for name in PAPER_CONFIGS}
        out[mode] = {"kernels": best["kernels"], "configs": configs, "grid": sum(configs.values())}
    return out


def markdown(report) -> str:
    d = report["device"]
    lines = [f"# GPU check: {d['name']}", "",
             f"{report['date']}; TensorFlow {d['tensorflow']}"
             + (f" (built for CUDA {d['cuda']}, cuDNN {d['cudnn']})" if d.get("cuda") else "")
             + "".join(f"; {k.replace('_', ' ')} {d[k]}" for k in ("compute_capability", "memory", "driver", "gpus")
                       if d.get(k))
             + f"; host CPU {d['cpu']} ({d['cpu_cores']} cores); {report['seconds']} s.", "",
             *(["*Tiny models (--small): a check of this script; the speed figures are not a model's.*", ""]
               if report["arguments"]["small"] else []),
             f"**FAILED: {', '.join(report['failed'])}.**" if report["failed"] else "**Every check passed.**", ""]
    lines += _tests(report["tests"], d, report["tests_log"]) + _speed(report["speed"])
    lines += _hours(report["hours"], report["speed"])
    return "\n".join(lines) + "\n"


def _tests(tests, device, log) -> list[str]:
    rows = [[t["name"], t["outcome"] + (f": {t['message']}" if t.get("message") else ""), f"{t['seconds']:.1f}",
             "; ".join(f"{f['check']}: " + ", ".join(f"{k.replace('_', ' ')} {_figure(v)}" for k, v in f.items()
                                                     if k not in ("check", "device")) for f in t["figures"])]
            for t in tests]
    where = ("the GPU against the CPU" if device["kind"] == "GPU" else
             "a second logical CPU against the first: the same code as on a GPU, not a GPU's arithmetic")
    return [f"## Equality with the CPU: the `gpu` tests (tests/test_gpu.py) on {where}", "",
            "Figures: the largest deviation relative to the largest value, or the share of its tolerance "
            f"used (at most 1 passes). pytest's output: {log}.", "",
            *tables.markdown(["test", "result", "s", "figures"], rows), ""]


def _figure(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _speed(speed) -> list[str]:
    rows = [[r["config"], r["mode"], r["kernels"], *(["", "", "", "", r["error"]] if "error" in r else
             [f"{r['windows_per_second']:.2f}", f"{r['seconds_per_iteration']:.3f}",
              f"{100 * r['share_of_matmul']:.1f} %", f"{r['peak_memory_bytes'] / 2**30:.2f} GiB",
              f"{paper_run_hours(r):.1f}"])] for r in speed]
    ok = [r for r in speed if "error" not in r]
    facts = (f"{ok[0]['batch']} windows per batch, two batches per iteration (a D and a G step); the fp32 matmul rate "
             f"(TF32 off) measured in each process: {min(r['matmul_flops_per_second'] for r in ok) / 1e9:.0f} to "
             f"{max(r['matmul_flops_per_second'] for r in ok) / 1e9:.0f} GFLOP/s; peak memory: "
             f"{ok[0]['memory_kind']}." if ok else "No timing could be taken.")
    lines = ["## Training speed", "", facts + " The share counts the convolutions' FLOPs (attention's few left "
             "out). Modes: " + "; ".join(f"{m}: {MODE_NOTES.get(m, m)}" for m in dict.fromkeys(r["mode"]
                                                                                            for r in speed)) + ".", "",
             *tables.markdown(["configuration", "mode", "kernels", "windows/s", "s / iteration", "of fp32 matmul",
                               "peak memory", "paper run, h"], rows), ""]
    for config in dict.fromkeys(r["config"] for r in ok):
        faster = []
        for mode in dict.fromkeys(r["mode"] for r in ok):
            forms = {r["kernels"]: r["seconds_per_iteration"] for r in ok
                     if r["config"] == config and r["mode"] == mode}
            if {"tuned", "native"} <= set(forms):
                best = min(forms, key=forms.get)
                other = "native" if best == "tuned" else "tuned"
                faster.append(f"{mode} {best} ({forms[other] / forms[best]:.2f}× {other})")
        if faster:
            lines += [f"Faster kernel form, {config}: " + ", ".join(faster) + ". `--kernels auto` takes tuned on a CPU "
                      "and native on a GPU (common/nn/conv_kernels.py).", ""]
    return lines


def _hours(hours, speed) -> list[str]:
    if not hours:
        return []
    modes = list(hours)
    first = next(r["config"] for r in speed)
    rows = [[name, *(f"{hours[m]['configs'][name]:.1f}" for m in modes)] for name in PAPER_CONFIGS]
    rows.append([f"all {len(PAPER_CONFIGS)}", *(f"{hours[m]['grid']:.0f}" for m in modes)])
    batch = next(r["batch"] for r in speed if "error" not in r)
    paper = paper_windows(named_config(first))
    at = (f"timed at the paper's {batch} windows per batch" if batch == paper else
          f"timed at {batch} windows per batch, not the paper's {paper}: "
          + ("a smaller batch pays the per-iteration work that does not grow with it more often, so these hours are "
             "high" if batch < paper else "a larger batch pays the per-iteration work less often"))
    return ["## Hours of the paper's runs on one such device", "",
            f"100 epochs of VoiceBank per configuration (docs/design.md, Appendix B), at {first}'s FLOP rate in each "
            f"mode with its faster kernel form ({at}), scaled by each configuration's convolution FLOPs per window; "
            "two GPUs take about half.", "",
            *tables.markdown(["configuration", *(f"{m} ({hours[m]['kernels']}), h" for m in modes)], rows), ""]
