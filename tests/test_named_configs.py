"""The table of named configurations: the models, main.py's --config (which must build exactly those models),
the batch rule, a run's name from its flags.json, and scripts/run_paper.sh end to end on the demo corpus."""
import csv
import os
import subprocess

import pytest

from common.config import cli
from common.config.model_config import ModelConfig
from common.config.named_configs import (PAPER_CONFIGS, batch_per_replica, main_argv, name_of, named_config, paper_gpus,
                                         paper_windows, tiny)
from common.config.train_config import TrainConfig
from common.rundir import flags_file, run_record
from tests.conftest import HOSTILE_NAME

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("name,fields", [
    ("SEGAN", ("segan", 1, False, False)),
    ("SASEGAN", ("segan", 1, True, True)),
    ("ISEGAN-3", ("isegan", 3, False, False)),
    ("ISEGAN-SA-2", ("isegan", 2, True, False)),
    ("DSEGAN-4", ("dsegan", 4, False, False)),
    ("dsegan-sa-7", ("dsegan", 7, True, False)),
])
def test_named_configs(name, fields):
    cfg = named_config(name)
    assert (cfg.variant, cfg.stages, cfg.self_attention, cfg.d_attention) == fields
    assert cfg.att_generators is None and cfg.att_layer_ind == (5,)


def test_named_config_overrides_and_tiny():
    assert named_config("DSEGAN-SA-3", att_generators=[0, 2]).att_generators == (0, 2)
    small = tiny("ISEGAN-SA-2")
    assert (small.variant, small.stages, small.self_attention, small.canvas_size) == ("isegan", 2, True, 512)
    assert type(small) is ModelConfig and all(n in PAPER_CONFIGS for n in ("SEGAN", "DSEGAN-SA-4"))


@pytest.mark.parametrize("name", ["SEGAN-2", "ISEGAN", "DSEGAN-0", "ISEGAN-SA", "WAVENET", "SASEGAN-2"])
def test_unknown_names(name):
    with pytest.raises(ValueError, match="unknown configuration"):
        named_config(name)


@pytest.mark.parametrize("name", PAPER_CONFIGS)
def test_config_builds_the_named_model(name, capsys):
    for att in (None, 3):
        variant, flags = main_argv(name, att)
        assert flags[:2] == ["--config", name]
        cfg = cli.parse(variant, flags).model
        expected = named_config(name, **({"att_layer_ind": (att,)} if att is not None and "SA" in name else {}))
        assert cfg == expected and name_of(cfg) == name
    assert named_config(name).variant == variant and paper_gpus(name) in (1, 2)  # the pipeline's lookups


def test_flags_given_win_over_the_config_and_the_config_must_be_the_variants(capsys):
    args = cli.parse("dsegan", ["--config", "DSEGAN-SA-3", "--stages", "2", "--recipe", "quick"])
    cfg = args.model
    assert (cfg.stages, cfg.self_attention, args.training.batch_size) == (2, True, 8)  # the flag, the config, the recipe
    assert cli.parse("segan", ["--config", "SASEGAN"]).model == named_config("SASEGAN")
    with pytest.raises(SystemExit):
        cli.parse("isegan", ["--config", "DSEGAN-2"])
    assert "--config DSEGAN-2 is a dsegan configuration: run dsegan/main.py" in capsys.readouterr().err


def test_the_batch_rule_splits_the_papers_windows_over_the_replicas():
    assert [paper_windows(named_config(n)) for n in ("SEGAN", "SASEGAN", "ISEGAN-SA-3", "DSEGAN-2")] == \
        [100, 50, 100, 100]
    assert [batch_per_replica(named_config("ISEGAN-2"), r) for r in (1, 2, 4)] == [100, 50, 25]
    assert batch_per_replica(tiny("SASEGAN"), 2) == 25  # whatever the widths: the model's configuration
    assert paper_windows(tiny("SEGAN", self_attention=True)) == 100  # no named configuration: its variant's
    assert [paper_gpus(n) for n in ("SEGAN", "SASEGAN", "ISEGAN-SA-3", "DSEGAN-2")] == [1, 1, 2, 2]
    with pytest.raises(ValueError, match="100 windows per iteration of DSEGAN-2 do not split evenly over 3 "
                                         "replicas: give --batch_size"):
        batch_per_replica(named_config("DSEGAN-2"), 3)


def test_training_applies_the_batch_rule_unless_a_batch_is_given(two_replicas):
    from common.training.trainer import Trainer

    cfg = tiny("ISEGAN-SA-2")
    assert Trainer(cfg, TrainConfig(), two_replicas).training.batch_size == 50  # 100 windows over 2 replicas
    assert Trainer(cfg, TrainConfig(batch_size=3), two_replicas).training.batch_size == 3
    assert Trainer(tiny("SASEGAN"), TrainConfig(), two_replicas).training.batch_size == 25


def test_the_start_line_says_where_the_batch_came_from(tiny_records, tmp_path, one_replica, capsys):
    from common.training.training_run import TrainingRun

    for flags, source in (([], "the paper's for ISEGAN-SA-2, split over the replicas"),
                          (["--recipe", "quick"], "the quick recipe's, per replica"),
                          (["--recipe", "quick", "--batch_size", "3"], "--batch_size per replica")):
        args = cli.parse("isegan", ["--config", "ISEGAN-SA-2", "--canvas_size", "512", "--g_enc_depths",
                                       "8,8,16,16,32", "--d_num_fmaps", "8,8,16,16,32", "--att_layer_ind", "2",
                                       "--e2e_dataset", str(tiny_records), "--save_path", str(tmp_path / "r"),
                                       *flags])
        run = TrainingRun(args, one_replica)
        run.announce(0, 10, 5, 1477)
        assert f"windows per batch ({source})" in capsys.readouterr().out


def test_names_whatever_the_widths(capsys):
    assert name_of(tiny("DSEGAN-SA-3", att_layer_ind=(1,))) == "DSEGAN-SA-3"
    for other in (tiny("SEGAN", self_attention=True), tiny("ISEGAN-2", d_attention=True),
                  tiny("DSEGAN-SA-3", att_generators=(0,))):  # no paper configuration: never labelled as one
        assert name_of(other) not in PAPER_CONFIGS and other.variant in name_of(other)
    with pytest.raises(ValueError, match="unknown configuration 'ISEGAN-0'"):
        named_config("ISEGAN-0")


@pytest.mark.slow
def test_run_paper_sh_trains_each_named_configuration_per_seed_then_the_table_and_the_claims(tmp_path,
                                                                                              run_script_env):
    env = {**run_script_env, "CONFIGS": "SASEGAN SEGAN", "ATT_LAYER": "1", "SEEDS": "3 1",
           "EXTRA_FLAGS": run_script_env["EXTRA_FLAGS"].replace("--seed 0", "") + " --max_steps 2"}
    out = subprocess.run(["bash", os.path.join(ROOT, "scripts", "run_paper.sh")], env=env, capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    runs = tmp_path / HOSTILE_NAME / "runs" / "demo"
    saved = {f"{name}-seed{seed}": flags_file.load_flags(str(runs / f"{name}-seed{seed}"))
             for name in ("SASEGAN", "SEGAN") for seed in (3, 1)}
    assert {s["training"]["mixed_precision"] for s in saved.values()} == {"float32"}  # the paper's, by default
    assert {name: s["training"]["seed"] for name, s in saved.items()} == {
        "SASEGAN-seed3": 3, "SASEGAN-seed1": 1, "SEGAN-seed3": 3, "SEGAN-seed1": 1}
    models = {name: run_record.model_config(s) for name, s in saved.items()}
    assert {name_of(cfg) for name, cfg in models.items() if name.startswith("SASEGAN")} == {"SASEGAN"}
    assert {name_of(cfg) for name, cfg in models.items() if name.startswith("SEGAN")} == {"SEGAN"}
    assert models["SASEGAN-seed1"].att_layer_ind == (1,)  # ATT_LAYER
    table = (runs / "paper_table.md").read_text()
    assert "| SASEGAN (2 seeds) |" in table and "| SEGAN (2 seeds) |" in table and "| Noisy |" in table
    assert "### A: SASEGAN vs B: SEGAN: " in table and "2 vs 2 seed(s), " in table
    with open(runs / "paper_claims.csv") as f:
        assert [r["a"] + " " + r["b"] for r in csv.DictReader(f)] == ["SASEGAN SEGAN"] * 6
    grid = runs / "grid.html"  # the first seed of each configuration
    assert grid.is_file() and out.stdout.rstrip().splitlines()[-1] == f"listening grid: {grid}"
    assert "SASEGAN-seed3" in grid.read_text() and "SEGAN-seed3" in grid.read_text()
    assert "seed1" not in grid.read_text()
