"""ModelConfig: reference defaults, derived shapes, validation."""
import dataclasses

import pytest

from common.config.model_config import ModelConfig
from common.config.named_configs import tiny


def test_defaults_are_the_run_scripts():
    cfg = ModelConfig()
    assert (cfg.variant, cfg.stages, cfg.canvas_size, cfg.kwidth, cfg.g_nl) == ("segan", 1, 16384, 31, "prelu")
    assert cfg.g_enc_depths == cfg.d_num_fmaps == (16, 32, 32, 64, 64, 128, 128, 256, 256, 512, 1024)
    assert cfg.bias_downconv and cfg.bias_deconv and cfg.bias_D_conv
    assert not cfg.self_attention and not cfg.d_attention and cfg.att_generators is None
    assert cfg.att_layer_ind == (5,)
    assert cfg.g_dec_depths == (512, 256, 256, 128, 128, 64, 64, 32, 32, 16, 1)
    assert cfg.z_shape(50) == (50, 8, 1024)
    assert tiny().z_shape(3) == (3, 16, 32)


def test_lists_become_tuples_and_config_is_frozen():
    cfg = ModelConfig(att_layer_ind=[5], g_enc_depths=list(ModelConfig().g_enc_depths))
    assert cfg == ModelConfig() and hash(cfg) == hash(ModelConfig())
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.stages = 2


@pytest.mark.parametrize("fields,message", [
    (dict(variant="wavenet"), "variant"),
    (dict(stages=2), "one stage"),
    (dict(variant="isegan", stages=0), "stages"),
    (dict(g_nl="relu"), "g_nl"),
    (dict(canvas_size=16000), "divisible by 2"),
    (dict(self_attention=True, att_layer_ind=(11,)), "outside 0..10"),
    (dict(d_attention=True, att_layer_ind=(-1,)), "outside"),
    (dict(self_attention=True, att_layer_ind=(5, 5)), "repeats"),
    (dict(self_attention=True, canvas_size=64, g_enc_depths=(8, 8, 16, 16, 32),
          d_num_fmaps=(8,), att_layer_ind=(4,)), "time length"),
    (dict(self_attention=True, g_enc_depths=(16, 32, 12) + (64,) * 8, att_layer_ind=(2,)),
     "channels divisible by 8"),
    (dict(variant="isegan", stages=2, self_attention=True, att_generators=(0,)), "only applies to dsegan"),
    (dict(variant="dsegan", stages=2, self_attention=True, att_generators=(2,)), "0..1"),
    (dict(variant="dsegan", stages=2, att_generators=(0,)), "self_attention is off"),
])
def test_impossible_configs_raise(fields, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig(**fields)
