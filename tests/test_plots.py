"""The plot scripts write non-empty PNG figures for a tiny model."""
import matplotlib.image
import numpy as np
import pytest

from common.config.named_configs import tiny
from common.evaluation import published
from common.evaluation.paper_table import run_summary
from scripts.plots import ablation as plot_ablation, attention as plot_attention, lib as plotlib
from scripts.plots import losses as plot_losses, spectrograms as plot_spectrograms
from tests.conftest import make_run


def assert_png(path, min_bytes=10_000):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > min_bytes
    image = matplotlib.image.imread(str(path))
    assert image.shape[0] > 200 and image.shape[1] > 300 and image[..., :3].std() > 0.05  # not blank


def test_spectrograms_one_panel_per_stage(tiny_run, demo_dir, tmp_path):  # noqa: F811
    name = sorted((demo_dir / "noisy_testset_wav_16k").iterdir())[0].name
    out = tmp_path / "spec.png"
    assert plot_spectrograms.main(["--run", str(tiny_run), "--noisy", str(demo_dir / "noisy_testset_wav_16k" / name),
                                   "--clean", str(demo_dir / "clean_testset_wav_16k" / name), "--out", str(out)]) == 0
    assert_png(out)
    x = np.random.default_rng(0).normal(size=8000).astype(np.float32)
    assert len(plot_spectrograms.figure(x, [x, x], x).axes) == 4  # noisy, 2 stages, clean


def test_attention_map_of_a_chosen_block_and_window(tiny_run, demo_dir, tmp_path, capsys):  # noqa: F811
    wav = str(sorted((demo_dir / "noisy_testset_wav_16k").iterdir())[0])
    out = tmp_path / "att.png"
    assert plot_attention.main(["--run", str(tiny_run), "--file", wav, "--window", "3", "--stage", "2",
                                "--block", "decoder_attention_layer1", "--out", str(out)]) == 0
    assert_png(out)
    with pytest.raises(SystemExit):
        plot_attention.main(["--run", str(tiny_run), "--file", wav, "--block", "nope", "--out", str(out)])
    assert "encoder_attention_layer2" in capsys.readouterr().err  # the blocks there are, listed


def test_training_curves_from_loss_histories(tmp_path):
    rng = np.random.default_rng(1)
    for name in ("A", "B"):
        (tmp_path / name).mkdir()
        rows = "".join(f"{i}," + ",".join(map(str, rng.random(7))) + "\n" for i in range(1, 121))
        (tmp_path / name / "losses.csv").write_text("iteration,d_loss,g_adv,g_l1_0,g_l1_1,g_stft_0,g_stft_1,g_loss\n"
                                                    + rows)
    out = tmp_path / "losses.png"
    assert plot_losses.main([str(tmp_path / "A"), str(tmp_path / "B"), "--smooth", "10", "--out", str(out)]) == 0
    assert_png(out)


def test_ablation_plot_from_runs(tmp_path):
    runs = tmp_path / "runs"
    for k, name in ((0, "SASEGAN-L0"), (2, "SASEGAN-L2"), (4, "SASEGAN-Lbottleneck")):  # k from flags.json
        make_run(runs, name, [2.2 + 0.01 * k + 0.01 * i for i in range(5)], cfg=tiny("SASEGAN", att_layer_ind=(k,)))
    make_run(runs, "SEGAN", [2.0] * 5)  # not an ablation run: not drawn
    out = tmp_path / "abl.png"
    assert plot_ablation.main(["--runs_root", str(runs), "--out", str(out)]) == 0
    assert_png(out)
    # index k is drawn at layer k + 1, and so is each published row: the page's SASEGAN-N at x = N
    rows = [(k, run_summary(str(runs / name))) for k, name in ((0, "SASEGAN-L0"), (2, "SASEGAN-L2"),
                                                              (4, "SASEGAN-Lbottleneck"))]
    fig = plot_ablation.figure(rows, "SASEGAN-L")
    for ax, col, scale in ((fig.axes[0], 1, 1), (fig.axes[1], 6, 100)):
        handles, labels = ax.get_legend_handles_labels()
        ours = handles[labels.index("ours")][0]
        assert list(ours.get_xdata()) == [1, 3, 5]
        assert ours.get_ydata()[1] == pytest.approx(rows[1][1]["mean"]["pesq" if col == 1 else "stoi"] * scale)
        pub = next(h for h, label in zip(handles, labels) if "published" in label and "secondary" in label)
        at = dict(zip(pub.get_xdata(), pub.get_ydata()))
        assert at == pytest.approx({int(row[0].split("-")[1]): row[col] for row in published.SASEGAN_PAGE_ROWS})
    assert "MMF-SASEGAN" in fig.get_suptitle()
    plotlib.plt.close(fig)
    make_run(runs, "SASEGAN-L2b", [2.0] * 5, cfg=tiny("SASEGAN", att_layer_ind=(2,)))
    with pytest.raises(SystemExit, match="SASEGAN-L2 and SASEGAN-L2b both have attention at index 2"):
        plot_ablation.main(["--runs_root", str(runs), "--out", str(out)])
    make_run(runs, "SASEGAN-L3", [2.0] * 5, cfg=tiny("SEGAN"))
    with pytest.raises(SystemExit, match="SASEGAN-L3 is SEGAN"):
        plot_ablation.main(["--runs_root", str(runs), "--prefix", "SASEGAN-L3", "--out", str(out)])
