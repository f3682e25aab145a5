"""Model hyper-parameters: one frozen `ModelConfig` and its validation (the named configurations are in
common/config/named_configs.py).

Defaults are the paper's run scripts (docs/decisions.md §3, docs/design.md §3-§5). Layer indices are 0-based;
with L = len(g_enc_depths) the decoder attention block mirroring encoder layer k sits at
decoder index L-2-k (9-k for the reference's 11 layers); k = L-1 (the bottleneck) has none.
"""
from __future__ import annotations

import dataclasses

from common.config import variants
from common.config.flags import field as flag

REFERENCE_DEPTHS = (16, 32, 32, 64, 64, 128, 128, 256, 256, 512, 1024)
ATT_POOL = 4       # max-pool factor of the attention key/value paths
ATT_REDUCTION = 8  # query/key channels = C / 8


G_NONLINEARITIES = ("prelu", "leaky")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    variant: str = "segan"  # from the main.py that runs
    stages: int = 1  # from the variant's own flag (<variant>/spec.py)
    canvas_size: int = flag(16384, "window length in samples")
    g_enc_depths: tuple = flag(REFERENCE_DEPTHS, "generator encoder channels per layer, comma-separated (smaller "
                                                 "for quick experiments)")
    d_num_fmaps: tuple = flag(REFERENCE_DEPTHS, "discriminator channels per layer, comma-separated")
    kwidth: int = 31
    g_nl: str = flag("prelu", "generator non-linearity", choices=G_NONLINEARITIES)
    bias_downconv: bool = flag(True, "biases in the generator's encoder")
    bias_deconv: bool = flag(True, "biases in the generator's decoder")
    bias_D_conv: bool = flag(True, "biases in the discriminator's convolutions")
    self_attention: bool = flag(False, "self-attention (+ spectral norm on all convs) in the generator(s)")
    att_layer_ind: tuple = flag((5,), "0-based encoder layer indices of the attention blocks, comma-separated")
    att_generators: tuple | None = None  # DSEGAN's own flag (dsegan/spec.py)
    d_attention: bool = flag(False, "spectral norm + self-attention in the discriminator (SASEGAN)")

    def __post_init__(self):
        for name in ("g_enc_depths", "d_num_fmaps", "att_layer_ind", "att_generators"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(int(v) for v in value))
        self._validate()

    # ---- derived quantities -------------------------------------------------------------
    @property
    def num_layers(self) -> int:
        return len(self.g_enc_depths)

    @property
    def g_dec_depths(self) -> tuple:
        return self.g_enc_depths[:-1][::-1] + (1,)

    @property
    def dec_att_layer_ind(self) -> tuple:
        last = self.num_layers - 1
        return tuple(last - 1 - k for k in self.att_layer_ind if k < last)

    def z_shape(self, batch_size):
        """Shape of the latent z concatenated (first) with the bottleneck code."""
        return (batch_size, self.canvas_size // 2 ** self.num_layers, self.g_enc_depths[-1])

    # ---- validation ---------------------------------------------------------------------
    def _validate(self):
        def fail(msg):
            raise ValueError(f"ModelConfig: {msg}")

        try:
            spec = variants.spec(self.variant)
        except ValueError as e:
            fail(str(e))
        if self.stages < 1:
            fail(f"stages must be >= 1, got {self.stages}")
        if self.g_nl not in G_NONLINEARITIES:
            fail(f"g_nl must be one of {G_NONLINEARITIES}, got {self.g_nl!r}")
        if self.kwidth < 1:
            fail(f"kwidth must be >= 1, got {self.kwidth}")
        for name in ("g_enc_depths", "d_num_fmaps"):
            depths = getattr(self, name)
            if not depths or min(depths) < 1:
                fail(f"{name} must be a non-empty list of positive ints, got {depths}")
            if self.canvas_size <= 0 or self.canvas_size % 2 ** len(depths):
                fail(f"canvas_size {self.canvas_size} is not divisible by 2^{len(depths)} "
                     f"(len({name}) stride-2 layers)")
        if self.self_attention or self.d_attention:
            if len(set(self.att_layer_ind)) != len(self.att_layer_ind) or not self.att_layer_ind:
                fail(f"att_layer_ind must be non-empty without repeats, got {self.att_layer_ind}")
        if self.self_attention:
            self._check_attention_sites("g_enc_depths", self.g_enc_depths)
        if self.d_attention:
            self._check_attention_sites("d_num_fmaps", self.d_num_fmaps)
        if self.att_generators is not None and "att_generators" not in spec.OWN_FIELDS:
            fail(f"att_generators only applies to dsegan (independent generators), not {self.variant}")
        try:
            spec.check(self)
        except ValueError as e:
            fail(str(e))

    def _check_attention_sites(self, name, depths):
        for k in self.att_layer_ind:
            if not 0 <= k < len(depths):
                raise ValueError(f"ModelConfig: att_layer_ind {k} is outside 0..{len(depths) - 1} "
                                 f"({name} has {len(depths)} layers)")
            length = self.canvas_size // 2 ** (k + 1)
            if length % ATT_POOL:
                raise ValueError(f"ModelConfig: attention at layer {k} needs a time length "
                                 f"divisible by {ATT_POOL}, got {length}")
            if depths[k] % ATT_REDUCTION:
                raise ValueError(f"ModelConfig: attention at layer {k} needs channels divisible "
                                 f"by {ATT_REDUCTION}, {name}[{k}] = {depths[k]}")
