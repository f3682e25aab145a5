"""Trainable parameter counts of the built models against docs/decisions.md §7 / docs/design.md §3.5, §4,
§5.3, and the model_size.py tool."""
import keras
import pytest
import tensorflow as tf

from common.config.model_config import ModelConfig
from common.config.named_configs import PAPER_CONFIGS, named_config
from common.models import build
from common.models.build import parameter_counts
from scripts import model_size

G, G_SA, D, D_SA = 73_100_049, 73_202_451, 24_373_081, 24_393_562


def expected(cfg):
    """docs/design.md §3.5: ISEGAN shares one G; DSEGAN-N = N x one G; attention adds to G and (SASEGAN) D."""
    single = G_SA if cfg.self_attention else G
    return (cfg.stages if cfg.variant == "dsegan" else 1) * single, D_SA if cfg.d_attention else D


@pytest.mark.parametrize("name,g,d", [("SEGAN", G, D), ("SASEGAN", G_SA, D_SA), ("ISEGAN-3", G, D),
                                      ("ISEGAN-SA-4", G_SA, D), ("DSEGAN-2", 2 * G, D),
                                      ("DSEGAN-SA-4", 4 * G_SA, D)])
def test_paper_counts(name, g, d):
    assert parameter_counts(named_config(name)) == (g, d)


@pytest.mark.parametrize("fields,g", [
    (dict(bias_downconv=False, bias_deconv=False), 73_096_048),
    (dict(g_nl="leaky"), 73_096_049),
])
def test_generator_count_formulas(fields, g):
    assert parameter_counts(ModelConfig(**fields))[0] == g


@pytest.mark.parametrize("k,extra", [(0, 321 + 1_281), (1, 1_281 + 5_121), (4, 5_121 + 20_481),
                                     (5, 20_481 + 81_921), (9, 327_681 + 1_310_721), (10, 1_310_721)])
def test_attention_parameters_per_site(k, extra):
    """docs/design.md §5.3 table: encoder block C = g_enc_depths[k], decoder block 2C at 9-k."""
    assert parameter_counts(ModelConfig(self_attention=True, att_layer_ind=(k,)))[0] == G + extra


def test_dsegan_att_generators_count():
    cfg = named_config("DSEGAN-SA-3", att_generators=(0, 2))
    assert parameter_counts(cfg)[0] == 2 * G_SA + G


def test_model_size_script(capsys):
    assert model_size.main([]) == 0
    rows = [line.split() for line in capsys.readouterr().out.strip().splitlines()]
    assert [r[0] for r in rows] == list(PAPER_CONFIGS)
    for name, g, d in rows:
        assert (int(g), int(d)) == expected(named_config(name))
    assert model_size.main(["--markdown", "SEGAN"]) == 0
    assert ("| SEGAN | 73,100,049 (73.10 M) | 24,373,081 (24.37 M) | 97,473,130 (97.47 M) |"
            in capsys.readouterr().out)


def test_counting_allocates_nothing_later(monkeypatch):
    """The deferred variables of parameter_counts leave Keras' global list (private: common/models/build.py), so the
    next StatelessScope exit (any symbolic Keras call) does not allocate and initialise ~97 M weights."""
    built = []
    build_models = build.build_models
    monkeypatch.setattr(build, "build_models", lambda cfg: built.append(build_models(cfg)) or built[-1])
    parameter_counts(ModelConfig())
    with keras.StatelessScope():
        pass
    # a deferred variable's value is its initialiser's output, an allocated one's a tf.Variable
    assert not any(isinstance(m.trainable_variables[0].value, tf.Variable) for m in built[0])
