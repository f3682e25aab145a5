"""Published figures printed beside ours, only those SPEC gives with a source (SPEC Part 0 §8, Part A §12,
Part B §7). Nothing here is recalled from memory; a figure without a source is left out."""

SEGAN_TABLE = ("Pascual et al., SEGAN, Interspeech 2017 (arXiv 1703.09452), Table 1 (SPEC Part A §12(d), "
               "Part B §7)")
NOISY_STOI = ("mean of the 824 per-file classic-STOI values in ruizhecao96/CMGAN "
              "src/tools/Noisy_metrics_results/matlab_noisy_metrics.log (SPEC Part B §7)")

# Paper-table rows: (row label, {metric: value}, source). STOI in [0, 1].
ROWS = (
    ("Noisy", {"pesq": 1.97, "csig": 3.35, "cbak": 2.44, "covl": 2.63, "ssnr": 1.68, "stoi": 0.921},
     f"{SEGAN_TABLE}; STOI: {NOISY_STOI}"),
    ("Wiener", {"pesq": 2.22, "csig": 3.23, "cbak": 2.68, "covl": 2.67, "ssnr": 5.07}, SEGAN_TABLE),
    ("SEGAN", {"pesq": 2.16, "csig": 3.48, "cbak": 2.94, "covl": 2.80, "ssnr": 7.73}, SEGAN_TABLE),
)

# Papers whose result tables could not be retrieved (SPEC Part A §12): no figures of theirs are printed.
NOT_RETRIEVED = (
    "Asiedu Asante et al., Appl. Sci. 13(16) 9217, 2023 (ISEGAN-SA-N, DSEGAN-SA-N)",
    "Phan et al., IEEE SPL 2020 (ISEGAN-N, DSEGAN-N)",
    "Phan et al., ICASSP 2021 (SASEGAN)",
)

# SASEGAN's PESQ / STOI (%) per attention layer, read off the figure assets/pesq_stoi.png of the
# pquochuy/sasegan README (approximate: ±0.005 PESQ, ±0.01 STOI %); keyed by 0-based encoder index
# (the figure's layer l = index + 1, SPEC Part A §5.3). SPEC Part A §12(c).
SASEGAN_FIGURE = "pquochuy/sasegan README figure assets/pesq_stoi.png, values read off the plot (SPEC Part A §12(c))"
SASEGAN_BY_LAYER = {2: (2.32, 93.35), 3: (2.37, 93.47), 4: (2.31, 93.22), 5: (2.38, 93.39), 6: (2.30, 93.38),
                    7: (2.34, 93.24), 8: (2.29, 93.28), 9: (2.41, 93.36), 10: (2.35, 93.19)}
SASEGAN_FIGURE_SEGAN = (2.19, 93.12)  # their SEGAN re-run, same figure
