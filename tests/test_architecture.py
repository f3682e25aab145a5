"""The shape of the code: no import cycle, layers that only point down, and the modules that must import
without TensorFlow (constants, configuration, data, metrics, reports)."""
import ast
import os
import subprocess
import sys

from common.config import variants

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VARIANTS = variants.SHIPPED  # the variant folders of the repository, from the variants' table

# The packages of common/, bottom to top (README "Where things live"); a module may import its own package
# and the packages below it. A variant's spec module (its entry's `spec`) is configuration, its generators' module
# (`generators`) a model; its main.py is a command line.
PACKAGES = ["system", "config", "audio", "nn", "models", "rundir", "enhancement", "training", "evaluation"]
ENTRY_MODULES = ("spec", "generators")  # the Variant fields that name modules, looked up by import_module


def variant_layers() -> dict[str, str]:
    """module → package layer of every registered variant's spec and generators modules."""
    return {**{v.spec: "config" for v in variants.VARIANTS.values()},
            **{v.generators: "models" for v in variants.VARIANTS.values()}}
COMMAND_LINES = len(PACKAGES)  # common/main.py, the variants' main.py, make_tfrecords.py, scripts/
# Packages whose modules import without TensorFlow (constants, configuration, data, run records, reports),
# but for the modules named: each needs TensorFlow for its one job.
TF_FREE_PACKAGES = ["system", "config", "audio", "rundir", "evaluation"]
NEEDS_TF = {"common.system.quiet_tf", "common.system.tf_quietly", "common.audio.tfdata", "common.rundir.trained_chain"}


def project_modules() -> dict[str, str]:
    """module name → path, for every .py of the project outside tests/ and .venv/."""
    out = {}
    for top in ("common", "scripts", *VARIANTS):
        for folder, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            package = os.path.relpath(folder, ROOT).replace(os.sep, ".")
            out.update({f"{package}.{name[:-3]}": os.path.join(folder, name)
                        for name in sorted(files) if name.endswith(".py") and name != "__init__.py"})
    out["make_tfrecords"] = os.path.join(ROOT, "make_tfrecords.py")
    return out


def imports(path: str, modules: dict) -> set[str]:
    """The project modules a file imports, at any depth of its code; `importlib.import_module(<entry>.spec)` (or
    `.generators`, a field of a variant's entry) counts as importing that module of every registered variant."""
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Attribute) and arg.attr in ENTRY_MODULES:
                names = [getattr(v, arg.attr) for v in variants.VARIANTS.values()]
            elif isinstance(arg, ast.Constant):
                names = [arg.value]
        found |= {n for n in names if n in modules}
    return found


def layer_of(module: str) -> int:
    parts = module.split(".")
    if parts[0] == "common" and len(parts) == 3:
        assert parts[1] in PACKAGES, f"common/{parts[1]}/ is no package of tests/test_architecture.py: place it"
        return PACKAGES.index(parts[1])
    if module in variant_layers():
        return PACKAGES.index(variant_layers()[module])
    assert module in ("common.main", "make_tfrecords") or parts[0] in ("scripts", *variants.VARIANTS), module
    return COMMAND_LINES


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
    # the table's lookups are seen: config imports each spec, the model builder each variant's generators
    assert {variants.get(v).spec for v in VARIANTS} <= g["common.config.variants"]
    assert {variants.get(v).generators for v in VARIANTS} <= g["common.models.build"]
    upward = sorted((m, n) for m, targets in g.items() for n in targets if layer_of(n) > layer_of(m))
    assert not upward, f"imports that point up a layer: {upward}"


def test_common_holds_packages_each_saying_what_it_holds():
    flat = sorted(m for m in project_modules() if m.startswith("common.") and m.count(".") == 1)
    assert flat == ["common.main"], f"modules of common/ outside its packages: {flat}"
    on_disk = sorted(d for d in os.listdir(os.path.join(ROOT, "common"))
                     if os.path.isfile(os.path.join(ROOT, "common", d, "__init__.py")))
    assert on_disk == sorted(PACKAGES)
    for package in PACKAGES:
        tree = ast.parse(open(os.path.join(ROOT, "common", package, "__init__.py")).read())
        assert ast.get_docstring(tree), f"common/{package}/__init__.py: say in a docstring what it holds"


def test_constants_configuration_and_reports_import_without_tensorflow():
    tf_free = [m for m in project_modules() if m.split(".")[:2] in (["common", p] for p in TF_FREE_PACKAGES)
               and m not in NEEDS_TF]
    tf_free += [variants.get(v).spec for v in VARIANTS]
    code = "; ".join([*(f"import {m}" for m in tf_free),
                      "import sys; print(sorted(m for m in sys.modules if m.split('.')[0] in "
                      "('tensorflow', 'keras')))"])
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]", out.stdout[:300]


def test_tools_import_the_installed_package_without_path_insertion():
    """pyproject.toml makes the code importable (scripts/setup.sh installs it editable): no tool edits sys.path."""
    inserting = [m for m, path in project_modules().items() if "sys.path.insert(" in open(path).read()]
    assert not inserting, f"modules that insert into sys.path: {inserting}"
