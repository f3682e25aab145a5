"""The FLOPs the benchmarks divide by: counted on the traced training graph, they agree with the formula
of the convolutions (backward = 2 × forward) where there is no attention, and attention adds to them."""
import pytest

from common.config import cli
from common.training.trainer import Trainer
from scripts.bench.lib import counted_iteration_flops, iteration_flops
from tests.conftest import tiny_args


@pytest.mark.parametrize("variant, flags", [("segan", []), ("isegan", ["--stages", "3"]),
                                           ("dsegan", ["--stages", "2"])])
def test_counted_flops_match_the_conv_formula(variant, flags, tiny_records, tmp_path, one_replica):
    args = tiny_args(variant, tmp_path, tiny_records, *flags)
    tr = Trainer(args.model, args.training, one_replica)
    counted, formula = counted_iteration_flops(tr, 3), iteration_flops(tr.cfg, 3)
    assert abs(counted / formula - 1) < 1e-3, (counted, formula)


@pytest.mark.slow
def test_attention_and_l1_only_training_are_counted(tiny_records, tmp_path, one_replica):
    def counted(*flags):
        args = tiny_args("isegan", tmp_path, tiny_records, "--stages", "2", *flags)
        return counted_iteration_flops(Trainer(args.model, args.training, one_replica), 3)

    plain = counted()
    args = tiny_args("isegan", tmp_path, tiny_records, "--stages", "2")
    cfg = args.model
    assert counted("--self_attention") > 1.01 * plain  # G's attention blocks, forward and backward
    assert abs(counted("--adv_weight", "0") / iteration_flops(cfg, 3, adversarial=False) - 1) < 1e-3
