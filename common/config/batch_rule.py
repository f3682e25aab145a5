"""The batch of a training and where it came from, in one function (the start line of a run says it)."""
from __future__ import annotations

import dataclasses

from common.config.model_config import ModelConfig
from common.config.named_configs import batch_per_replica, name_of
from common.config.train_config import TrainConfig


@dataclasses.dataclass(frozen=True)
class Batch:
    per_replica: int  # windows per replica per batch
    source: str       # where it came from, as the start line says it
    by_rule: bool     # the batch rule's (no --batch_size): the same windows per iteration on any replica count


def resolve_batch(cfg: ModelConfig, training: TrainConfig, replicas: int, origin: str = "flag") -> Batch:
    """--batch_size when set (`origin`: 'flag' when given on the command line, 'recipe' from --recipe's defaults),
    else the batch rule: the paper's windows per iteration for the model split evenly over the replicas (a
    ValueError when they do not split)."""
    if training.batch_size is not None:
        return Batch(training.batch_size, "--batch_size per replica" if origin == "flag"
                     else f"the {training.recipe} recipe's, per replica", by_rule=False)
    return Batch(batch_per_replica(cfg, replicas), f"the paper's for {name_of(cfg)}, split over the replicas",
                 by_rule=True)
