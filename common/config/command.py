"""What a main.py command line asks for, as objects: the model, the training, test mode, and which flags were
named. common/config/cli.py makes one from argv; everything below the command line takes these objects."""
from __future__ import annotations

import dataclasses

from common.config.flags import flag_fields
from common.config.model_config import ModelConfig
from common.config.recipes import RECIPES
from common.config.train_config import TrainConfig
from common.config.variants import spec


@dataclasses.dataclass(frozen=True)
class TestConfig:
    """main.py's test mode: enhance every .wav of `test_wav_dir` into `save_clean_path` with one checkpoint of the
    run (`weights`), `test_batch` windows per generator call, windows overlapping by `test_overlap`."""
    test_wav_dir: str | None = None  # None: train
    save_clean_path: str | None = None
    weights: str = "latest"
    test_batch: int = 64
    test_overlap: float = 0.0


@dataclasses.dataclass(frozen=True)
class Command:
    """A parsed main.py command line. `given`: the flags named on it (by their fields' names); `config`: the named
    configuration its model started from (--config), if any."""
    model: ModelConfig
    training: TrainConfig = TrainConfig()
    test: TestConfig = TestConfig()
    given: frozenset = frozenset()
    config: str | None = None

    @property
    def testing(self) -> bool:
        return self.test.test_wav_dir is not None

    @property
    def batch_origin(self) -> str:
        """Where a --batch_size came from: 'flag' (the command line) or 'recipe' (--recipe's defaults)."""
        return "flag" if "batch_size" in self.given else "recipe"

    def flags(self) -> dict:
        """Every value of the command line by flag name (flags.json's 'flags' record)."""
        model = {f.name: getattr(self.model, f.name) for f in flag_fields(ModelConfig)}
        own = {name: getattr(self.model, name) for name in ("stages", *spec(self.model.variant).OWN_FIELDS)}
        return {"variant": self.model.variant, "config": self.config, **model, **own,
                **dataclasses.asdict(self.training), **dataclasses.asdict(self.test)}


def configure(model: ModelConfig, recipe: str = "paper", **training) -> Command:
    """The command a command line would give without one: `model` with a recipe's model values
    (common/config/recipes.py), a TrainConfig of the recipe's training values and then `training`'s."""
    values = RECIPES[recipe]
    model_fields = {f.name for f in dataclasses.fields(ModelConfig)}
    model = dataclasses.replace(model, **{k: v for k, v in values.items() if k in model_fields})
    train = TrainConfig(**{**{k: v for k, v in values.items() if k not in model_fields}, "recipe": recipe, **training})
    return Command(model=model, training=train, given=frozenset(training))
