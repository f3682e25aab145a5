"""Every test draws the same numbers whatever ran before it: the static half of that (the suite's order is
shuffled on every run by pytest-randomly, the dynamic half; conftest seeds the global streams per test).

Forbidden: a random stream made or seeded at a test module's top level (shared by the module's tests, so a
test's draws depend on which of them ran first in its process), an unseeded generator, NumPy's legacy global
draws (use the `rng` fixture), and in the project a random initialiser made at import (Keras draws its seed
once: every kernel it initialises of one shape gets the same values, whatever the run's --seed)."""
import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT_DIRS = ("common", "segan", "isegan", "dsegan", "scripts", "scripts/bench", "scripts/plots", "scripts/dev")
MAKES_A_STREAM = ("default_rng", "RandomState", "SeedSequence", "seed", "set_seed", "set_random_seed")
NUMPY_STREAM_CLASSES = ("default_rng", "Generator", "SeedSequence", "PCG64", "Philox")


def dotted(node) -> str:
    """'np.random.default_rng' for the function of a call, '' when it is not a plain dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else ""


def top_level_calls(tree):
    """Calls run at import: in the module's statements outside function and class bodies."""
    for statement in tree.body:
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield from (n for n in ast.walk(statement) if isinstance(n, ast.Call))


def python_files(folders):
    for folder in folders:
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if name.endswith(".py"):
                path = os.path.join(ROOT, folder, name)
                yield os.path.relpath(path, ROOT), ast.parse(open(path).read())


def problems_in_tests():
    found = []
    for path, tree in python_files(["tests"]):
        for call in top_level_calls(tree):
            name = dotted(call.func)
            if "random" in name or name.rsplit(".", 1)[-1] in MAKES_A_STREAM:
                found.append(f"{path}:{call.lineno}: {name}() at module level (use the rng fixture)")
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name = dotted(call.func)
            if name.endswith("default_rng") and not call.args and not call.keywords:
                found.append(f"{path}:{call.lineno}: default_rng() without a seed")
            elif name.startswith(("np.random.", "numpy.random.")) and name.split(".")[-1] not in NUMPY_STREAM_CLASSES:
                found.append(f"{path}:{call.lineno}: {name}() draws from NumPy's global stream (use the rng fixture)")
    return found


def problems_in_project():
    found = []
    for path, tree in python_files(PROJECT_DIRS):
        for call in top_level_calls(tree):
            name = dotted(call.func)
            if name.startswith(("keras.initializers.", "keras.random.", "tf.random.")):
                found.append(f"{path}:{call.lineno}: {name}() at import")
    return found


def test_no_shared_or_unseeded_stream_in_the_tests():
    assert problems_in_tests() == []


def test_no_random_initialiser_made_at_import():
    assert problems_in_project() == []


def test_the_checks_see_what_they_forbid(tmp_path, monkeypatch):
    """Each forbidden form, written into a scratch tree, is reported."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "common").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        "import numpy as np\nrng = np.random.default_rng(2)\n"
        "def test_a():\n    np.random.default_rng()\n    np.random.normal(size=3)\n")
    (tmp_path / "common" / "m.py").write_text("import keras\nINIT = keras.initializers.TruncatedNormal(stddev=0.02)\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", str(tmp_path))
    monkeypatch.setattr(sys.modules[__name__], "PROJECT_DIRS", ("common",))
    assert [p.split(": ", 1)[1] for p in problems_in_tests()] == [
        "np.random.default_rng() at module level (use the rng fixture)", "default_rng() without a seed",
        "np.random.normal() draws from NumPy's global stream (use the rng fixture)"]
    assert problems_in_project() == ["common/m.py:2: keras.initializers.TruncatedNormal() at import"]
