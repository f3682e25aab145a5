"""The listening report (scripts/listening_report.py): which files it plays, and its pages opened in a real browser
(headless Chromium through Selenium, marked `browser`): every player loads its wav at the right duration, every
picture loads, a click sorts a table, the console stays clean, and a copy of the folder elsewhere still works."""
import os
import shutil
import urllib.parse

import numpy as np
import pytest
import soundfile as sf

from common.audio import audio
from common.audio.metrics import METRICS
from common.enhancement.enhance import Enhancer
from common.evaluation import aggregate, listening, report
from common.rundir import layout
from scripts import listening_report
from scripts.plots import lib as plotlib
from tests.conftest import HalfChain, noisy as add_noise, speech

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"  # Debian's chromium, chromium-driver
INSTALL = ("install them: bash scripts/install_browser.sh (Debian's chromium and chromium-driver) and "
           "pip install -r requirements.txt (selenium); or leave the browser tests out: -m 'not browser'")


def test_input_snr_of_a_noisy_copy():
    x = speech(1.5, 0)
    assert listening.input_snr(x, add_noise(x, 7.5)) == pytest.approx(7.5, abs=1e-6)


def test_choice_best_worst_and_a_spread_over_input_snr():
    snr = {f"f{i:02d}.wav": float(i) for i in range(20)}  # 0 … 19 dB
    gain = {f: 0.01 * i for i, f in enumerate(snr)}
    gain["f07.wav"], gain["f12.wav"] = 1.0, -1.0
    chosen = listening.choose(snr, gain, 6)
    why = {c.file: c.why for c in chosen}
    assert why.pop("f07.wav") == "best ΔPESQ" and why.pop("f12.wav") == "worst ΔPESQ"
    assert sorted(why) == ["f00.wav", "f06.wav", "f13.wav", "f19.wav"]  # the nearest to 0, 6.3, 12.7, 19 dB left
    assert [c.snr for c in chosen] == sorted(c.snr for c in chosen)
    assert {c.file for c in listening.choose(snr, gain, 40)} == set(snr)  # all, when there are fewer
    assert [(c.file, c.why) for c in listening.choose(snr, gain, 1)] == [("f07.wav", "best ΔPESQ")]
    one = {"a.wav": 3.0}
    assert [c.why for c in listening.choose(one, {"a.wav": 0.1}, 6)] == ["best ΔPESQ"]


def dirs_of(demo_dir) -> list[str]:
    return ["--noisy_dir", str(demo_dir / "noisy_testset_wav_16k"),
            "--clean_dir", str(demo_dir / "clean_testset_wav_16k")]


def test_the_eager_enhancement_is_the_traced_one():
    """The report enhances its few files eagerly (a trace takes seconds): the same signals."""
    x = speech(1.2, 1).astype(np.float32)
    eager, traced = (Enhancer(HalfChain(), 512, 0.95, all_stages=True, eager=e).process(x) for e in (True, False))
    assert eager.shape == (2, len(x)) and np.allclose(eager, traced, atol=1e-6)


def scored_run(tiny_run, demo_dir, path, pesq_gain):
    """A copy of the tiny run at `path`, scored at its checkpoint 0 on the demo test set (results.json and
    results.csv through the evaluation's writers) with PESQ gains `pesq_gain` (one per file, in name order)."""
    shutil.copytree(tiny_run, path)
    clean_dir, noisy_dir = demo_dir / "clean_testset_wav_16k", demo_dir / "noisy_testset_wav_16k"
    files = sorted(os.listdir(clean_dir))
    noisy = {f: {m: 1.5 + 0.1 * j for m in METRICS} for j, f in enumerate(files)}
    enhanced = {f: {m: noisy[f][m] + (g if m == "pesq" else 0.05) for m in METRICS} for f, g in zip(files, pesq_gain)}
    found = {k: [] for k in (*aggregate.PROBLEMS, *aggregate.NOTES)}
    summary = aggregate.summarize(str(clean_dir), len(files), [f"{path}/enhanced/0"], [enhanced], [found],
                                  (str(noisy_dir), noisy, found))
    report.write_json(str(path / "results.json"), summary)
    report.write_csv(str(path / "results.csv"), summary, [noisy, enhanced])
    return path


@pytest.fixture(scope="module")
def pages(tiny_run, demo_dir, tmp_path_factory):
    """A run's report (with a training.png to copy) and a grid of two runs, built once."""
    root = tmp_path_factory.mktemp("listening")
    a = scored_run(tiny_run, demo_dir, root / "runs" / "ISEGAN-SA-2", [0.3, -0.2, -0.05, 0.0])
    b = scored_run(tiny_run, demo_dir, root / "runs" / "ISEGAN-SA-2 #b", [0.1, 0.2, -0.1, 0.0])
    matplotlib_png(a / "training.png")
    dirs = dirs_of(demo_dir)
    assert listening_report.main(["--run", str(a), *dirs, "--files", "3"]) == 0
    assert listening_report.main(["--grid", str(a), str(b), *dirs, "--out", str(root / "grid out"),
                                  "--files", "2"]) == 0
    return a / "report.html", root / "grid out" / "grid.html"


def matplotlib_png(path):
    fig, ax = plotlib.plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [1, 0])
    fig.savefig(path)
    plotlib.plt.close(fig)


def test_the_report_plays_each_file_noisy_each_stage_and_clean(pages, demo_dir):
    page, grid = pages
    text = page.read_text()
    files = sorted(os.listdir(demo_dir / "noisy_testset_wav_16k"))
    played = sorted(p.name for p in (page.parent / "report").iterdir() if p.is_dir())
    assert len(played) == 3 and {files[0][:-4], files[1][:-4]} <= set(played)  # the best and the worst ΔPESQ
    assert text.count("<audio") == 3 * 4 and text.count('preload="metadata"') == 3 * 4
    assert "ISEGAN-SA-2: listening report (ckpt-0)" in text and "report/training.png" in text
    for stem in played:
        name = stem + ".wav"
        for part in ("noisy", "stage-1", "stage-2", "clean"):
            info = sf.info(str(page.parent / "report" / stem / f"{part}.wav"))
            assert (info.subtype, info.samplerate) == ("PCM_16", audio.SAMPLE_RATE)
        assert info.frames == sf.info(str(demo_dir / "clean_testset_wav_16k" / name)).frames
    assert np.array_equal(audio.read_wav_int16(page.parent / "report" / stem / "noisy.wav"),
                          audio.read_wav_int16(demo_dir / "noisy_testset_wav_16k" / name))
    assert "://" not in text and str(page.parent) not in text  # relative paths only
    assert grid.read_text().count("<audio") == 2 * 4  # noisy, two runs, clean


def test_errors_are_one_line_naming_the_problem(pages, tiny_run, demo_dir, tmp_path):
    dirs = dirs_of(demo_dir)
    with pytest.raises(SystemExit, match=r"^error: .*results\.json: no such file"):
        listening_report.main(["--run", str(tiny_run), *dirs])
    run = pages[0].parent
    with layout.lock(str(run)), pytest.raises(SystemExit, match=r"^error: run directory .* is in use by PID"):
        listening_report.main(["--run", str(run), *dirs])
    (tmp_path / "noisy").mkdir()
    with pytest.raises(SystemExit, match=r"^error: --noisy_dir .*/noisy: .* was scored on .*noisy_testset_wav_16k"):
        listening_report.main(["--run", str(run), "--noisy_dir", str(tmp_path / "noisy"), *dirs[2:]])


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through Selenium with Debian's chromedriver (no driver download); fails, saying what to
    install, when either is missing."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail(f"selenium is not installed: {INSTALL}")
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--mute-audio",
                "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def wait_for(driver, script, done, what, timeout=30):
    """The value of `script` once `done(value)`; fails naming `what` and the last value after `timeout` s."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    last = []

    def ready(d):
        last[:] = [d.execute_script(script)]
        return done(last[0])

    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(ready)
    except TimeoutException:
        pytest.fail(f"{what} after {timeout} s: {last[0] if last else None}")
    return last[0]


AUDIO = "return [...document.querySelectorAll('audio')].map(a => [a.getAttribute('src'), a.readyState, a.duration, " \
        "a.error && a.error.code])"
IMAGES = "return [...document.images].map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
COLUMN = "return [...document.querySelector(arguments[0]).tBodies[0].rows].map(r => r.cells[arguments[1]].dataset.v)"


def check_page(driver, page, players):
    """Open `page` from file://: its `players` audio elements each load their wav (readyState ≥ 1) at the wav's
    duration (within 1 ms), every image loads, and the console has no error."""
    driver.get_log("browser")  # drops what earlier pages logged
    driver.get(page.as_uri())
    clips = wait_for(driver, AUDIO, lambda v: all(r >= 1 or e for _, r, _, e in v), "audio still loading")
    assert len(clips) == players
    for src, state, duration, error in clips:
        wav = page.parent / urllib.parse.unquote(src)
        assert relative(src) and wav.is_relative_to(page.parent), src
        assert state >= 1 and not error, f"{src}: readyState {state}, error {error}"
        assert duration == pytest.approx(sf.info(str(wav)).frames / audio.SAMPLE_RATE, abs=1e-3), src
    images = wait_for(driver, IMAGES, lambda v: all(complete for _, complete, _ in v), "images still loading")
    assert images and all(width > 0 and relative(src) for src, _, width in images), images
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


def relative(src: str) -> bool:
    return not urllib.parse.urlsplit(src).scheme and not src.startswith("/") and ".." not in src.split("/")


def check_sorting(driver, table, col, unlike_text=True):
    """Clicking column `col` of `table` sorts its rows by it numerically ascending, a second click descending.
    `unlike_text`: the column's values sort otherwise as text (so a sort by text would fail here)."""
    header = driver.find_element("css selector", f"{table} th[data-col='{col}']")
    raw = driver.execute_script(COLUMN, table, col)
    assert len(set(raw)) > 1 and (sorted(raw) != sorted(raw, key=float) or not unlike_text), raw
    for order in ("ascending", "descending"):
        header.click()
        values = [float(v) for v in driver.execute_script(COLUMN, table, col)]
        assert values == sorted(values, reverse=order == "descending"), (order, values)
        assert header.get_attribute("aria-sort") == order


@pytest.mark.browser
def test_report_in_a_browser(browser, pages):
    check_page(browser, pages[0], 3 * 4)
    delta_pesq = 4  # file, input SNR, then PESQ noisy, enhanced, Δ
    check_sorting(browser, "#per-file", delta_pesq)
    check_sorting(browser, "#per-file", 1, unlike_text=False)  # input SNR
    names = browser.execute_script(COLUMN, "#per-file", 0)
    browser.find_element("css selector", "#per-file th[data-col='0']").click()  # the file names, as text
    assert browser.execute_script(COLUMN, "#per-file", 0) == sorted(names)
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


@pytest.mark.browser
def test_grid_in_a_browser(browser, pages):
    check_page(browser, pages[1], 2 * 4)
    check_sorting(browser, "#runs", 2, unlike_text=False)  # PESQ: Noisy and the two runs


@pytest.mark.browser
def test_a_copy_of_the_report_elsewhere_still_plays(browser, pages, tmp_path):
    """RUN/report.html and RUN/report/ copied elsewhere, the originals moved away meanwhile."""
    elsewhere = tmp_path / "copied # elsewhere"
    elsewhere.mkdir()
    shutil.copyfile(pages[0], elsewhere / "report.html")
    shutil.copytree(pages[0].parent / "report", elsewhere / "report")
    original = pages[0].parent / "report"
    original.rename(tmp_path / "away")
    try:
        check_page(browser, elsewhere / "report.html", 3 * 4)
    finally:
        (tmp_path / "away").rename(original)
