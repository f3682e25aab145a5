"""The test tiers (README "Tests"): `slow` is registered in pytest.ini with --strict-markers (a misspelt mark,
on a test or in -m, is an error, not a test silently left in the fast tier), and the tests the fast tier,
`bash scripts/test.sh -m "not slow"`, exists to skip carry it; the browser tests carry `browser`."""
import importlib

import pytest

SLOW = [  # module::test: what makes a tier slow (each 25 s to 3 min on 2 cores)
    "test_run_faults::test_run_isegan_sh_demo_end_to_end",  # run scripts end to end
    "test_named_configs::test_run_paper_sh_trains_each_named_configuration_per_seed_then_the_table_and_the_claims",
    "test_bench_learning::test_learning_benchmark_scores_every_checkpoint",
    "test_run_faults::test_kill_9_mid_training_then_resume",  # kill -9 and SIGTERM
    "test_run_faults::test_sigterm_saves_at_the_current_iteration_and_the_resume_loses_none",
    "test_run_faults::test_sigterm_to_a_run_script_stops_its_training_and_leaves_no_process",
    "test_multi_worker::test_two_workers_train_alike_the_chief_writes_and_both_resume",  # a two-process cluster
    "test_precision::test_low_precision_training_follows_the_float32_loss_curve",  # 2 x 200 iterations
    "test_xla::test_xla_training_runs_on_two_replicas_and_keeps_the_spectral_norm_state",  # XLA compilation
    "test_reference_io::test_xla_and_low_precision_train_steps_match_the_plain_one",
    "test_gpu::test_an_xla_iteration_on_the_device_equals_the_plain_one_on_the_cpu",
    "test_export::test_exports_equal_test_mode_for_the_same_z_in_a_fresh_process",  # SavedModel and TFLite
]

BROWSER = ["test_listening_report::test_report_in_a_browser", "test_listening_report::test_grid_in_a_browser",
           "test_listening_report::test_a_copy_of_the_report_elsewhere_still_plays"]


def marks_of(module_name: str, test: str) -> set[str]:
    """The marks pytest gives the test: its own (decorators) and its module's (`pytestmark`)."""
    module = importlib.import_module(f"tests.{module_name}")
    of_module = getattr(module, "pytestmark", [])
    own = getattr(getattr(module, test), "pytestmark", [])
    return {m.name for m in [*own, *(of_module if isinstance(of_module, list) else [of_module])]}


def test_slow_is_registered_and_marks_are_strict(pytestconfig):
    assert any(m.split(":")[0].strip() == "slow" for m in pytestconfig.getini("markers"))
    assert pytestconfig.getini("strict_markers") is True


def test_the_browser_tests_are_marked_browser(pytestconfig):
    assert any(m.split(":")[0].strip() == "browser" for m in pytestconfig.getini("markers"))
    for name in BROWSER:
        assert "browser" in marks_of(*name.split("::")), name


@pytest.mark.parametrize("name", SLOW)
def test_the_end_to_end_kill_multi_worker_and_long_tests_are_slow(name):
    assert "slow" in marks_of(*name.split("::"))


def test_the_fast_tier_keeps_quick_tests_of_the_same_modules():
    """Marking a whole module slow by mistake would empty the inner loop of what it is for."""
    for name in ("test_precision::test_the_convolutions_compute_in_low_precision_and_the_sensitive_parts_in_float32",
                 "test_named_configs::test_named_config_overrides_and_tiny",
                 "test_reference_io::test_forward_matches_the_reference_graph"):
        assert "slow" not in marks_of(*name.split("::")), name
