"""The shape of the code: no import cycle, layers that only point down, and the modules that must import
without TensorFlow (constants, configuration, data, metrics, reports)."""
import ast
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VARIANTS = ("segan", "isegan", "dsegan")

# Bottom to top; a module may import its own layer and the layers below it.
LAYERS = {
    "configuration": ["common.blas", "common.errors", "common.locks", "common.paths", "common.stop_signals", "common.model_config", "common.named_configs", "common.recipes",
                      "common.flags", "common.train_config", "common.config", "common.quiet_tf", "common.variants",
                      "common.run_record", *(f"{v}.spec" for v in VARIANTS)],
    "data": ["common.audio", "common.records", "common.data", "common.demo_corpus", "common.voicebank",
             "common.metrics"],  # metrics: signal measures on arrays, used by validation and by the reports
    "blocks": ["common.conv", "common.spectral_norm", "common.attention", "common.vbn", "common.losses",
               "common.optim", "common.loss_scale"],
    "models": ["common.generator", "common.discriminator", "common.chain", "common.models",
               *(f"{v}.variant" for v in VARIANTS)],
    "training and enhancement": ["common.checkpoint_match", "common.trainer", "common.enhance", "common.tf1_import"],
    "run directory": ["common.rundir", "common.loss_history", "common.training_run", "common.validation",
                      "common.run_enhance"],
    "reports": ["common.tables", "common.evaluation", "common.paper_table", "common.published"],
    "command lines": ["common.main", "make_tfrecords", *(f"{v}.main" for v in VARIANTS), "scripts.*"],
}
TF_FREE = ["common.blas", "common.errors", "common.locks", "common.paths", "common.stop_signals", "common.model_config", "common.train_config", "common.named_configs", "common.recipes",
           "common.flags", "common.train_config", "common.config", "common.audio", "common.records", "common.demo_corpus", "common.voicebank",
           "common.metrics", "common.rundir", "common.loss_history", "common.tables", "common.evaluation", "common.paper_table",
           "common.published", "common.variants", "common.run_record", *(f"{v}.spec" for v in VARIANTS)]


def project_modules() -> dict[str, str]:
    """module name → path, for every .py of the project outside tests/ and .venv/."""
    out = {}
    for top in ("common", "scripts", "scripts/bench", "scripts/plots", "scripts/dev", *VARIANTS):
        for name in sorted(os.listdir(os.path.join(ROOT, top))):
            if name.endswith(".py") and name != "__init__.py":
                out[f"{top.replace('/', '.')}.{name[:-3]}"] = os.path.join(ROOT, top, name)
    out["make_tfrecords"] = os.path.join(ROOT, "make_tfrecords.py")
    return out


def imports(path: str, modules: dict) -> set[str]:
    """The project modules a file imports, at any depth of its code; `importlib.import_module(f"{v}.spec")`
    counts as importing that module of every variant."""
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.JoinedStr) and isinstance(arg.values[-1], ast.Constant):
                names = [f"{v}{arg.values[-1].value}" for v in VARIANTS]
            elif isinstance(arg, ast.Constant):
                names = [arg.value]
        found |= {n for n in names if n in modules}
    return found


def layer_of(module: str) -> int:
    for rank, members in enumerate(LAYERS.values()):
        if module in members or (module.startswith("scripts.") and "scripts.*" in members):
            return rank
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py: place it")


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {m: imports(p, modules) - {m} for m, p in modules.items()}


def test_no_import_cycle():
    g = graph()
    state, cycles = {}, []

    def visit(m, path):
        state[m] = "open"
        for n in sorted(g[m]):
            if state.get(n) == "open":
                cycles.append(path[path.index(n):] + [n] if n in path else [m, n])
            elif n not in state:
                visit(n, path + [n])
        state[m] = "done"

    for m in sorted(g):
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


def test_layers_point_down():
    g = graph()
    upward = sorted((m, n) for m, targets in g.items() for n in targets if layer_of(n) > layer_of(m))
    assert not upward, f"imports that point up a layer: {upward}"


def test_constants_configuration_and_reports_import_without_tensorflow():
    code = "; ".join([*(f"import {m}" for m in TF_FREE),
                      "import sys; print(sorted(m for m in sys.modules if m.split('.')[0] in "
                      "('tensorflow', 'keras')))"])
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]", out.stdout[:300]
