"""The HTML of the listening pages (scripts/listening_report.py): a run's report and a grid of runs side by side.
One self-contained file each: inline style and a small inline script that sorts a table by the clicked column;
audio and pictures by relative paths; nothing is fetched from a network."""
from __future__ import annotations

import dataclasses
import html
import os
import urllib.parse

from common.audio.metrics import METRICS
from common.evaluation.aggregate import LABELS, ratio
from common.evaluation.listening import Choice
from common.evaluation.tables import cell

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1360px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccc; }
h3 { font-size: 15px; margin: 0 0 6px; } .sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-size: 12.5px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
table.sortable th[data-col] { cursor: pointer; user-select: none; }
table.sortable th[data-col]:hover { background: #e4e4f4; }
th[aria-sort=ascending]::after { content: " \\25B2"; } th[aria-sort=descending]::after { content: " \\25BC"; }
td.up { color: #11772d; } td.down { color: #b3261e; } tr.chosen td { background: #fffbe6; }
th[colspan] { text-align: center; }
#per-file td:nth-child(3n+3), #per-file thead tr + tr th:nth-child(3n+1) { border-left: 2px solid #bbb; }
.example { border: 1px solid #ddd; border-radius: 8px; padding: 12px 16px; margin: 16px 0; }
.why { font-weight: normal; color: #555; font-size: 13px; }
.columns { display: flex; flex-wrap: wrap; gap: 8px 28px; align-items: flex-start; }
.columns > div { flex: 0 0 auto; } .columns > img { flex: 1 1 480px; min-width: 0; max-width: 720px; }
.columns .players { flex-direction: column; gap: 6px; }
.columns .clip { display: flex; align-items: center; gap: 10px; } .columns .clip figcaption { width: 150px; }
.columns .clip audio { margin-top: 0; }
.players { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.clip { margin: 0; padding: 6px 8px; border: 1px solid #e2e2e2; border-radius: 6px; background: #fafafa; }
.clip figcaption { font-weight: 600; font-size: 13px; } .clip .note { font-weight: normal; color: #555; }
.clip audio { display: block; width: 250px; height: 36px; margin-top: 4px; }
img { max-width: 100%; height: auto; display: block; }
.scroll { overflow-x: auto; }
"""

SORT_SCRIPT = """
for (const table of document.querySelectorAll("table.sortable")) {
  for (const th of table.querySelectorAll("th[data-col]")) {
    th.addEventListener("click", () => {
      const col = Number(th.dataset.col), text = th.dataset.type === "text";
      const asc = th.getAttribute("aria-sort") !== "ascending";
      for (const other of table.querySelectorAll("th[aria-sort]")) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      const body = table.tBodies[0], rows = Array.from(body.rows);
      const key = (row) => row.cells[col].dataset.v;
      rows.sort((a, b) => (text ? key(a).localeCompare(key(b)) : Number(key(a)) - Number(key(b))) * (asc ? 1 : -1));
      for (const row of rows) body.appendChild(row);
    });
  }
}
"""


@dataclasses.dataclass
class Clip:
    label: str  # 'noisy', 'stage 1', a run's name, 'clean'
    src: str  # its wav, relative to the page
    note: str = ""


@dataclasses.dataclass
class Example:
    choice: Choice
    clips: list[Clip]
    image: str  # its spectrograms, relative to the page


def esc(text) -> str:
    """Text as HTML."""
    return html.escape(str(text))


def url(path: str) -> str:
    """A relative path as an attribute value: each part percent-encoded (spaces, '#', '?' in file names)."""
    return esc(urllib.parse.quote(path))


def page(title: str, body: list[str]) -> str:
    """The whole document: `body` (HTML pieces) with the style and the sorting script inline."""
    return "\n".join(["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                      '<meta name="viewport" content="width=device-width, initial-scale=1">',
                      '<link rel="icon" href="data:,">',  # no request for a favicon
                      f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>", *body,
                      f"<script>{SORT_SCRIPT}</script>", "</body></html>", ""])


def shown(value: float, digits: int = 3, sign: bool = False) -> str:
    """The value to `digits` (a Δ with its sign; one that rounds to 0 is 0.000, not -0.000)."""
    return f'{round(value, digits) + 0.0:{"+" if sign else ""}.{digits}f}'


def delta_class(value: float, digits: int = 3) -> str:
    """Green for a Δ > 0, red for one < 0, as shown to `digits`."""
    value = round(value, digits)
    return ' class="up"' if value > 0 else ' class="down"' if value < 0 else ""


def number(value: float, digits: int = 3, sign: bool = False) -> str:
    """A sortable cell: the value shown to `digits`, kept in full in data-v; Δ cells coloured by their sign."""
    mark = delta_class(value, digits) if sign else ""
    return f'<td data-v="{float(value)!r}"{mark}>{shown(value, digits, sign)}</td>'


def header_cell(label: str, col: int, text: bool = False) -> str:
    """A header that sorts the table by column `col` when clicked (as text, or as numbers)."""
    kind = ' data-type="text"' if text else ""
    return f'<th data-col="{col}"{kind}>{esc(label)}</th>'


def results_table(summary: dict) -> list[str]:
    """The results of scripts/evaluate.py (results.json): Noisy, each checkpoint, mean ± std, Δ, the verdict."""
    head = "".join(f"<th>{esc(LABELS[m])}</th>" for m in METRICS)
    rows = []
    if summary["noisy"]:
        rows.append(("Noisy (the unprocessed input)", ratio(summary["noisy"]), summary["noisy"]["mean"], None, False))
    rows += [(f"checkpoint {os.path.basename(os.path.normpath(d['dir']))}", ratio(d), d["mean"], None, False)
             for d in summary["dirs"]]
    if summary["across"]:
        a = summary["across"]
        rows.append((f"mean ± std over {a['n_dirs']} checkpoints", ratio(a), a["mean"], a["std"], False))
    if summary["delta"]:
        rows.append(("Δ vs noisy", ratio(summary["across"]), summary["delta"], None, True))
    out = ['<div class="scroll"><table><thead><tr><th></th><th>files</th>' + head + "</tr></thead><tbody>"]
    for name, files, means, stds, sign in rows:
        cells = "".join(f'<td{delta_class(means[m], 4) if sign else ""}>'
                        f"{esc(cell(means[m], stds and stds[m], sign=sign))}</td>" for m in METRICS)
        out.append(f"<tr><td>{esc(name)}</td><td>{esc(files)}</td>{cells}</tr>")
    out.append("</tbody></table></div>")
    note = (summary["verdict"] or {}).get("text") or summary.get("delta_note") or ""
    out.append(f"<p>{esc(note)} PESQ: wideband MOS-LQO; SSNR in dB; STOI classic in [0, 1]; higher is better for "
               "every metric.</p>")
    return out


def file_table(files: list[str], snr: dict[str, float], noisy: dict, enhanced: dict,
               chosen: dict[str, str]) -> list[str]:
    """Every test file: input SNR, then per metric the noisy score, the enhanced one (mean over the checkpoints)
    and Δ; sortable by any column; the chosen files highlighted and linked to their section (`chosen`: file →
    anchor)."""
    top = ('<tr><th rowspan="2" data-col="0" data-type="text" aria-sort="ascending">file</th>'
           '<th rowspan="2" data-col="1">input SNR (dB)</th>'
           + "".join(f'<th colspan="3">{esc(LABELS[m])}</th>' for m in METRICS) + "</tr>")
    sub = "<tr>" + "".join(header_cell(label, 2 + 3 * i + k)
                           for i in range(len(METRICS)) for k, label in enumerate(("noisy", "enh.", "Δ"))) + "</tr>"
    out = ['<div class="scroll"><table class="sortable" id="per-file"><thead>', top, sub, "</thead><tbody>"]
    for j, name in enumerate(files):
        link = f'<a href="#{chosen[name]}">{esc(name)}</a>' if name in chosen else esc(name)
        cells = "".join(number(noisy[m][j]) + number(enhanced[m][j]) + number(enhanced[m][j] - noisy[m][j], sign=True)
                        for m in METRICS)
        mark = ' class="chosen"' if name in chosen else ""
        out.append(f'<tr{mark}><td data-v="{esc(name)}">{link}</td>{number(snr[name], 1)}{cells}</tr>')
    out.append("</tbody></table></div>")
    return out


def clips(items: list[Clip]) -> str:
    """A labelled player per clip; only its duration is read before it plays."""
    return '<div class="players">' + "".join(
        f'<figure class="clip"><figcaption>{esc(c.label)}'
        + (f' <span class="note">{esc(c.note)}</span>' if c.note else "")
        + f'</figcaption><audio controls preload="metadata" src="{url(c.src)}"></audio></figure>'
        for c in items) + "</div>"


def file_scores(j: int, noisy: dict, enhanced: dict, n_checkpoints: int) -> list[str]:
    """One file's six metrics: noisy, enhanced (mean over the checkpoints), Δ."""
    head = "".join(f"<th>{esc(LABELS[m])}</th>" for m in METRICS)
    rows = [("noisy", {m: noisy[m][j] for m in METRICS}, False),
            (f"enhanced (mean of {n_checkpoints} ckpts)", {m: enhanced[m][j] for m in METRICS}, False),
            ("Δ", {m: enhanced[m][j] - noisy[m][j] for m in METRICS}, True)]
    return ["<table><thead><tr><th></th>" + head + "</tr></thead><tbody>",
            *(f"<tr><td>{name}</td>" + "".join(f'<td{delta_class(v[m]) if sign else ""}>{shown(v[m], sign=sign)}</td>'
                                                for m in METRICS) + "</tr>" for name, v, sign in rows),
            "</tbody></table>"]


def example_sections(examples: list[Example], files: list[str], noisy: dict, enhanced: dict,
                     n_checkpoints: int) -> list[str]:
    """Per chosen file: its scores and players beside its spectrograms."""
    out = []
    for k, ex in enumerate(examples):
        c = ex.choice
        out += [f'<section class="example" id="f{k}"><h3>{esc(c.file)} <span class="why">input SNR {c.snr:.1f} dB · '
                f'{esc(c.why)}</span></h3><div class="columns"><div>',
                *file_scores(files.index(c.file), noisy, enhanced, n_checkpoints), clips(ex.clips),
                f'</div><img src="{url(ex.image)}" alt="spectrograms of {esc(c.file)}: noisy, each stage, clean">'
                "</div></section>"]
    return out


def report(run_name: str, checkpoint: str, corpus: str, summary: dict, files: list[str], snr: dict[str, float],
           noisy: dict, enhanced: dict, examples: list[Example], training: str | None) -> str:
    """RUN/report.html: the run's results, its training curves, the chosen files (players for noisy, each stage
    and clean; their spectrograms) and every file's scores."""
    n = len(summary["dirs"])
    title = f"{run_name}: listening report ({checkpoint})"
    body = [f"<h1>{esc(title)}</h1>",
            f'<p class="sub">Corpus: {esc(corpus)}. Test set: {len(files)} files of {esc(summary["clean_dir"])}.</p>',
            "<h2>Results</h2>", *results_table(summary)]
    if training:
        body += ["<h2>Training</h2>", f'<img src="{url(training)}" alt="training curves of {esc(run_name)}">']
    body += [f"<h2>Listening: {len(examples)} test files</h2>",
             f"<p>Chosen: the best and the worst file by ΔPESQ (enhanced PESQ, mean over the {n} checkpoints, minus "
             f"the noisy file's), the others spread over the input SNR range. The players and spectrograms are "
             f"{esc(checkpoint)}'s stages, enhanced anew for this page (z drawn afresh); the scores are the "
             "evaluation's.</p>",
             *example_sections(examples, files, noisy, enhanced, n),
             "<h2>Every test file</h2><p>Click a column to sort by it (again: the other way). Enhanced: the mean over "
             f"the {n} checkpoints. The files played above are highlighted.</p>",
             *file_table(files, snr, noisy, enhanced, {ex.choice.file: f"f{k}" for k, ex in enumerate(examples)})]
    return page(title, body)


def runs_table(names: list[str], summaries: list[dict]) -> list[str]:
    """The runs' means: the Noisy row (the first run's), then per run the mean ± std over its checkpoints;
    sortable by any column."""
    head = (header_cell("run", 0, text=True) + header_cell("checkpoints", 1)
            + "".join(header_cell(LABELS[m], 2 + i) for i, m in enumerate(METRICS)))
    out = ['<div class="scroll"><table class="sortable" id="runs"><thead><tr>' + head + "</tr></thead><tbody>"]
    noisy = summaries[0]["noisy"]
    if noisy:
        out.append('<tr><td data-v="Noisy">Noisy (the unprocessed input)</td><td data-v="0">—</td>'
                   + "".join(number(noisy["mean"][m]) for m in METRICS) + "</tr>")
    for name, s in zip(names, summaries):
        a = s["across"]
        cells = "".join(f'<td data-v="{float(a["mean"][m])!r}">{esc(cell(a["mean"][m], a["std"][m], digits=3))}</td>'
                        for m in METRICS)
        out.append(f'<tr><td data-v="{esc(name)}">{esc(name)}</td><td data-v="{a["n_dirs"]}">{a["n_dirs"]}</td>'
                   f"{cells}</tr>")
    out.append("</tbody></table></div>")
    return out


def grid(names: list[str], corpus: str, summaries: list[dict], files: list[str], examples: list[Example]) -> str:
    """DIR/grid.html: the runs' means, then per chosen file (chosen on the first run) noisy, each run's output
    (the last stage of its newest scored checkpoint) and clean, side by side, with their spectrograms."""
    title = f"Listening grid: {len(names)} runs"
    body = [f"<h1>{esc(title)}</h1>",
            f'<p class="sub">Corpus: {esc(corpus)}. Test set: {len(files)} files of '
            f'{esc(summaries[0]["clean_dir"])}. Runs: {esc(", ".join(names))}.</p>',
            "<h2>Results</h2><p>Mean ± std over each run's scored checkpoints; click a column to sort by it.</p>",
            *runs_table(names, summaries),
            f"<h2>Listening: {len(examples)} test files</h2>",
            f"<p>Chosen on {esc(names[0])}: the best and the worst file by its ΔPESQ, the others spread over the "
            "input SNR range. Each run plays the last stage of its newest scored checkpoint, enhanced anew for this "
            "page; beside its name, its PESQ of the file (mean over its checkpoints) and Δ vs noisy.</p>"]
    for k, ex in enumerate(examples):
        c = ex.choice
        body += [f'<section class="example" id="f{k}"><h3>{esc(c.file)} <span class="why">input SNR {c.snr:.1f} dB · '
                 f"{esc(c.why)}</span></h3>", clips(ex.clips),
                 f'<img src="{url(ex.image)}" alt="spectrograms of {esc(c.file)}: noisy, each run, clean">',
                 "</section>"]
    return page(title, body)


def pesq_note(noisy: float, enhanced: float) -> str:
    """A run's PESQ of a file and its Δ vs noisy, beside its player on the grid."""
    return f"PESQ {enhanced:.2f} ({enhanced - noisy:+.2f})"
