"""A variant the project does not ship is its folder and one entry in the variants' table: HALFSEGAN-N, a chain of N
independent generators, each after the first at half the channels, written into a temporary folder whose package
registers its entry. Its configurations, the batch rule and the layer rules of tests/test_architecture.py follow
from that entry; its main.py trains it with --config HALFSEGAN-2 and no --batch_size."""
import dataclasses
import importlib
import os
import subprocess
import sys

import pytest

from common.config import cli, variants
from common.config.named_configs import (PAPER_CONFIGS, batch_per_replica, name_of, named_config, paper_gpus,
                                         paper_windows, tiny)
from common.config.train_config import TrainConfig
from common.rundir import flags_file, run_record
from tests import test_architecture
from tests.conftest import TINY_MODEL
from tests.test_variants import assert_variant_folder

WINDOWS = 8  # the entry's windows per iteration: small, so that the training below is quick

FOLDER = {
    "__init__.py": f'''"""HALFSEGAN-N: N independent generators, each after the first at half the channels. Importing
the package registers its entry in the variants' table."""
from common.config.variants import Family, Variant, register

register(Variant("halfsegan", (Family("HALFSEGAN"),), stage_flag="--stages", gpus=2, windows={WINDOWS}))
''',
    "spec.py": '''"""HALFSEGAN: the number of generators; the later ones take half of every generator width."""
OWN_FIELDS = ()


def add_flags(group) -> None:
    group.add_argument("--stages", type=int, default=2, help="stages N: N generators, the later ones at half width")


def model_fields(args) -> dict:
    return {"stages": args.stages}


def check(cfg) -> None:
    if any(d % 2 for d in cfg.g_enc_depths):
        raise ValueError(f"halfsegan halves g_enc_depths: give even widths, got {cfg.g_enc_depths}")
''',
    "variant.py": '''"""HALFSEGAN: generator 0 at the configured widths, generators 1.. at half of them."""
import dataclasses

from common.models.generator import Generator


def half(cfg):
    return dataclasses.replace(cfg, g_enc_depths=tuple(d // 2 for d in cfg.g_enc_depths))


def build_generators(cfg, kernels="native"):
    return [Generator(cfg, kernels=kernels, name="generator_0"),
            *(Generator(half(cfg), kernels=kernels, name=f"generator_{n}") for n in range(1, cfg.stages))]
''',
    "main.py": '''#!/usr/bin/env python3
"""Train HALFSEGAN or, with --test_wav_dir, enhance a directory."""
import sys

import halfsegan  # noqa: F401  its entry in the variants' table
from common.main import main

if __name__ == "__main__":
    sys.exit(main("halfsegan"))
''',
}


def write_folder(root) -> str:
    folder = root / "halfsegan"
    folder.mkdir()
    for name, text in FOLDER.items():
        (folder / name).write_text(text)
    return str(root)


@pytest.fixture
def halfsegan(tmp_path, monkeypatch):
    """The folder under tmp_path/plugins, importable, and its entry registered in a copy of the table that leaves
    with the test."""
    (tmp_path / "plugins").mkdir()
    root = write_folder(tmp_path / "plugins")
    monkeypatch.setattr(variants, "VARIANTS", dict(variants.VARIANTS))
    monkeypatch.syspath_prepend(root)
    yield root
    for name in [m for m in sys.modules if m.split(".")[0] == "halfsegan"]:
        del sys.modules[name]


def test_the_folder_s_entry_names_its_configurations_and_sets_its_batch(halfsegan, two_replicas, capsys):
    assert "halfsegan" not in variants.VARIANTS
    importlib.import_module("halfsegan")
    assert list(variants.VARIANTS)[-1] == "halfsegan" and variants.SHIPPED == ("segan", "isegan", "dsegan")
    cfg = named_config("halfsegan-3")
    assert (cfg.variant, cfg.stages, cfg.self_attention, cfg.d_attention) == ("halfsegan", 3, False, False)
    assert (name_of(tiny("HALFSEGAN-2")), paper_gpus("HALFSEGAN-2"), paper_windows(cfg)) == ("HALFSEGAN-2", 2, WINDOWS)
    assert [batch_per_replica(cfg, r) for r in (1, 2, 4)] == [WINDOWS, WINDOWS // 2, WINDOWS // 4]
    assert not any(n.startswith("HALFSEGAN") for n in PAPER_CONFIGS)  # not the paper's
    with pytest.raises(ValueError, match=r"expected SEGAN, SASEGAN, .*, DSEGAN-SA-N or HALFSEGAN-N with N >= 1"):
        named_config("HALFSEGAN")
    args = cli.parse("halfsegan", [*TINY_MODEL, "--config", "HALFSEGAN-3"])
    assert args.model == tiny("HALFSEGAN-3")
    with pytest.raises(SystemExit):
        cli.parse("isegan", ["--config", "HALFSEGAN-2"])
    assert "--config HALFSEGAN-2 is a halfsegan configuration: run halfsegan/main.py" in capsys.readouterr().err

    from common.training.trainer import Trainer

    trainer = Trainer(tiny("HALFSEGAN-2"), TrainConfig(), two_replicas)  # the batch rule over two replicas
    assert trainer.training.batch_size == WINDOWS // 2
    widths = [[layer.kernel.shape[-1] for layer in trainer.chain.stage_generator(n).enc] for n in range(2)]
    assert widths == [[8, 8, 16, 16, 32], [4, 4, 8, 8, 16]]


def test_the_layer_rules_know_the_folder_by_its_entry(halfsegan):
    importlib.import_module("halfsegan")
    assert_variant_folder("halfsegan", halfsegan)  # what each shipped variant is (tests/test_variants.py)
    layers = test_architecture.variant_layers()
    assert (layers["halfsegan.spec"], layers["halfsegan.variant"]) == ("config", "models")
    folder = os.path.join(halfsegan, "halfsegan")
    modules = {**test_architecture.project_modules(),
               **{f"halfsegan.{name[:-3]}": os.path.join(folder, name) for name in FOLDER if name != "__init__.py"}}
    assert "halfsegan.variant" in test_architecture.imports(modules["common.models.build"], modules)
    assert "halfsegan.spec" in test_architecture.imports(modules["common.config.variants"], modules)
    upward = [(m, n) for m in modules if m.startswith("halfsegan.")
              for n in test_architecture.imports(modules[m], modules)
              if test_architecture.layer_of(n) > test_architecture.layer_of(m)]
    assert upward == []


@pytest.mark.slow
def test_its_main_py_trains_the_named_configuration_by_the_batch_rule(halfsegan, tiny_records, tmp_path):
    """TensorFlow in another process: main.py --config HALFSEGAN-2 without --batch_size, two iterations."""
    run = tmp_path / "run"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([halfsegan, *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, os.path.join(halfsegan, "halfsegan", "main.py"), "--config", "HALFSEGAN-2",
                           *TINY_MODEL, "--e2e_dataset", str(tiny_records), "--save_path", str(run),
                           "--max_steps", "2", "--save_freq", "2", "--seed", "0"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    importlib.import_module("halfsegan")  # the entry, to read the run back here
    saved = flags_file.load_flags(str(run))
    replicas = saved["training"]["replicas"]
    assert saved["variant"] == "halfsegan" and name_of(run_record.model_config(saved)) == "HALFSEGAN-2"
    assert saved["training"]["batch_size"] == WINDOWS // replicas  # the entry's windows over the replicas

    from common.rundir.trained_chain import load_chain

    chain = load_chain(str(run)).chain  # the model of its flags.json, restored from ckpt-2
    first, second = ([layer.kernel.shape[-1] for layer in chain.stage_generator(n).enc] for n in (0, 1))
    assert second == [c // 2 for c in first] == [4, 4, 8, 8, 16]  # the second generator at half the channels


def test_an_entry_takes_no_registered_name(monkeypatch):
    monkeypatch.setattr(variants, "VARIANTS", dict(variants.VARIANTS))
    with pytest.raises(ValueError, match=r"configuration families taken: ISEGAN \(by isegan\)"):
        variants.register(variants.Variant("other", (variants.Family("ISEGAN"),), "--stages", gpus=1, windows=4))
    with pytest.raises(ValueError, match="'segan' is registered already, with another entry"):
        variants.register(dataclasses.replace(variants.get("segan"), windows=10))
    with pytest.raises(ValueError, match="without a trailing number"):
        variants.Variant("other", (variants.Family("OTHER-2"),), "--stages", gpus=1, windows=4)
    assert variants.register(variants.get("segan")) is variants.get("segan")  # the same entry again: no change
