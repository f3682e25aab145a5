"""Named training recipes: flag defaults applied by `--recipe NAME` (flags given explicitly still win).

`paper` is the paper's run scripts (every flag at its default). `quick` is not the paper's: a sanity check
that learns on 2 CPU cores in minutes (docs/quick_recipe.md lists each departure and why).
"""
from __future__ import annotations

QUICK_DEPTHS = (4, 8, 8, 16, 16, 32, 32, 64, 64, 128, 256)  # a quarter of the paper's channels, same 11 layers

RECIPES = {
    "paper": {},
    "quick": {
        "g_enc_depths": QUICK_DEPTHS,
        "d_num_fmaps": QUICK_DEPTHS,
        "batch_size": 8,
        "g_learning_rate": 1e-3,
        "adv_weight": 0.0,      # L1 alone (D is then neither run nor trained): faster, and it learns
        "preemph": 0.8,         # 0.95 amplifies any low-frequency error of G 20-fold at de-emphasis; 0.5 costs CSIG
                                # on real speech (docs/quick_recipe.md)
        "stft_weight": 1.0,     # + a multi-resolution STFT loss: less CSIG/COVL lost (docs/quick_recipe.md)
        "max_steps": 2200,      # about 7.5 minutes on 2 CPU cores: the main job within 10 (docs/quick_recipe.md)
        "lr_decay": 0.4,        # the last 40 % (from 1320) fall linearly to 0 (docs/quick_recipe.md)
        "cpu_op_threads": "auto",  # narrow layers: one core per op, ops side by side on 2 cores (1.1x; docs/speed.md)
        "save_freq": 50,        # the paper's: the five tested checkpoints are 2000 … 2200, late in the decay
    },
}
