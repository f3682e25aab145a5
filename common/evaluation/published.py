"""Published figures printed beside ours, only those with a source named here (docs/decisions.md §8,
docs/design.md §12, docs/metrics.md §7). Nothing here is recalled from memory; a figure without a source is left
out. A SECONDARY source is one other than the paper whose result it is."""
from common.config.model_config import ModelConfig

SEGAN_TABLE = ("Pascual et al., SEGAN, Interspeech 2017 (arXiv 1703.09452), Table 1 (docs/design.md §12(d), "
               "docs/metrics.md §7)")
NOISY_STOI = ("mean of the 824 per-file classic-STOI values in ruizhecao96/CMGAN "
              "src/tools/Noisy_metrics_results/matlab_noisy_metrics.log (docs/metrics.md §7)")

# Paper-table rows: (row label, {metric: value}, source). STOI in [0, 1]. SASEGAN's row is appended below.
ROWS = (
    ("Noisy", {"pesq": 1.97, "csig": 3.35, "cbak": 2.44, "covl": 2.63, "ssnr": 1.68, "stoi": 0.921},
     f"{SEGAN_TABLE}; STOI: {NOISY_STOI}"),
    ("Wiener", {"pesq": 2.22, "csig": 3.23, "cbak": 2.68, "covl": 2.67, "ssnr": 5.07}, SEGAN_TABLE),
    ("SEGAN", {"pesq": 2.16, "csig": 3.48, "cbak": 2.94, "covl": 2.80, "ssnr": 7.73}, SEGAN_TABLE),
)

# Papers whose result tables could not be retrieved (docs/design.md §12): no figures of theirs are printed.
NOT_RETRIEVED = (
    "Asiedu Asante et al., Appl. Sci. 13(16) 9217, 2023 (ISEGAN-SA-N, DSEGAN-SA-N)",
    "Phan et al., IEEE SPL 2020 (ISEGAN-N, DSEGAN-N)",
    "Phan et al., ICASSP 2021 (SASEGAN)",
)

# SASEGAN with self-attention at one convolutional layer, all six metrics, SECONDARY source: not the SASEGAN
# paper's own table (not retrieved, see NOT_RETRIEVED) but the "Ablation study" table of a project page of a later
# work that fuses SASEGANs (MSAF; the page names no authors). Transcribed as printed (STOI in %), rows SASEGAN-3 …
# SASEGAN-11 only: the page has no SEGAN row, and its other rows ("Field A add B", "Field all added") are that
# later work's fused models, not SASEGAN. The page does not name its corpus; its PESQ and STOI are those of the
# SASEGAN README figure below (VoiceBank-DEMAND, the Edinburgh DataShare set that README names).
SASEGAN_PAGE = ("MMF-SASEGAN/MMF-SASEGAN.github.io, index.md (\"Ablation study\" table) at commit "
                "4ccd86d7d4ca8ac9caa159ede56fde672355c7b0 (2023-03-22; rows unchanged since c56032a2be80, 2023-02-24)")
SASEGAN_FIGURE = ("pquochuy/sasegan, README figure assets/pesq_stoi.png at commit "
                  "c3abaaf6423a06dd701cd93b9166c7249f660608 (figure added in 4017603f8d17)")
SASEGAN_SOURCE = (f"SECONDARY: {SASEGAN_PAGE}, a project page of a later work, not the SASEGAN paper's table; "
                  f"PESQ and STOI agree with {SASEGAN_FIGURE}")
SASEGAN_PAGE_COLUMNS = ("pesq", "csig", "cbak", "covl", "ssnr", "stoi_percent")
SASEGAN_PAGE_ROWS = (  # (row label as printed, PESQ, CSIG, CBAK, COVL, SSNR, STOI %)
    ("SASEGAN-3", 2.32, 3.51, 3.07, 2.90, 8.53, 93.35),
    ("SASEGAN-4", 2.36, 3.57, 3.08, 2.95, 8.38, 93.47),
    ("SASEGAN-5", 2.31, 3.46, 2.94, 2.85, 7.20, 93.22),
    ("SASEGAN-6", 2.38, 3.46, 3.12, 2.90, 8.86, 93.39),
    ("SASEGAN-7", 2.30, 3.52, 2.98, 2.89, 7.34, 93.38),
    ("SASEGAN-8", 2.34, 3.55, 3.03, 2.92, 8.03, 93.24),
    ("SASEGAN-9", 2.29, 3.45, 3.05, 2.85, 8.48, 93.28),
    ("SASEGAN-10", 2.41, 3.62, 3.06, 2.99, 7.87, 93.36),
    ("SASEGAN-11", 2.35, 3.57, 3.03, 2.94, 7.76, 93.19),
)

# Layer numbering. The page: "'SASEGAN-N' means the SASEGANs with the self-attention layer in the Nth
# convolutional layer", i.e. 1-based, N = 3 … 11 — the same labels as the README figure (SASEGAN 3 … 11). 1-based
# layer N is our 0-based encoder index --att_layer_ind N - 1 (docs/design.md §5.3), so the page covers indices
# 2 … 10, the range pquochuy/sasegan's run.sh gives for the flag; its SASEGAN-6 is our default index 5.
# Checked against the figure (marker centres measured in pixels against the grid lines, ≈ ±0.001 PESQ,
# ±0.001 STOI %): every layer's PESQ and STOI of the page is the figure's point rounded to two decimals; the
# largest gap is PESQ of SASEGAN-4, figure ≈ 2.365 vs page 2.36 (so 2.37 when read by eye before); STOI differs by
# at most ≈ 0.0014 points (SASEGAN-7, ≈ 93.381 vs 93.38).
def att_layer_ind(layer: int) -> int:
    """Our 0-based --att_layer_ind of the page's / figure's 1-based layer number."""
    return layer - 1


def _metrics(values) -> dict:
    """{metric: value} with our metric names, STOI in [0, 1]."""
    out = dict(zip(SASEGAN_PAGE_COLUMNS, values))
    out["stoi"] = round(out.pop("stoi_percent") / 100, 4)
    return out


# {0-based encoder index: {metric: value}} (STOI in [0, 1]), derived from SASEGAN_PAGE_ROWS.
SASEGAN_BY_INDEX = {att_layer_ind(int(label.rsplit("-", 1)[1])): _metrics(values)
                    for label, *values in SASEGAN_PAGE_ROWS}
(PAPER_ATT_INDEX,) = ModelConfig().att_layer_ind  # the default, the paper's; layer 6 in the page's numbering
ROWS += ((f"SASEGAN att. layer {PAPER_ATT_INDEX + 1} (index {PAPER_ATT_INDEX}), secondary source",
          SASEGAN_BY_INDEX[PAPER_ATT_INDEX], SASEGAN_SOURCE),)

# Their SEGAN re-run in the same figure, read off the plot (approximate, docs/design.md §12(c)); not on the page.
SASEGAN_FIGURE_SEGAN = (2.19, 93.12)  # (PESQ, STOI %)
