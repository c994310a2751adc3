"""Splits a suspicious-calcification score by what the images hold: does a model detect each BI-RADS
calcification type and distribution, and does it tell suspicious calcifications from benign ones?

Detection: for each type (and each distribution), the AUROC of images whose calcifications are all of
that type against calcification-free images. Discrimination: images with a suspicious calcification
against images with benign calcifications only, the distinction the "suspicious calcification" label
asks for. 95% CIs by bootstrap over patients (2,000 resamples).

    bash scripts/torch-python.sh benchmarks/pretrain/calcification_by_morphology.py COHORT PREDICTIONS.csv \
        [--csv OUT.csv --label NAME]

COHORT is a `mammofm synth` output; PREDICTIONS.csv a calcification predictions file written by
`mammofm zeroshot`, `probe` or `finetune` (`image_id` and a `p_suspicious calcification` column).
--csv appends one row per figure (label, group, value, n_positive, n_negative, auroc, ci_low, ci_high).
"""
import argparse
import collections
import csv
import os

import numpy as np

BENIGN = {"punctate", "vascular", "coarse_popcorn", "large_rod_like", "rim"}


def auroc(positives, negatives):
    """Mann-Whitney AUROC, ties counted half."""
    positives, negatives = np.asarray(positives), np.asarray(negatives)
    scores = np.concatenate([positives, negatives])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    sorted_scores = scores[order]
    # Ties share their mean rank.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(scores)]
    for start, end in zip(starts, ends):
        if end - start > 1:
            ranks[order[start:end]] = (start + end + 1) / 2
    p, n = len(positives), len(negatives)
    return (ranks[:p].sum() - p * (p + 1) / 2) / (p * n)


def bootstrap(positives, negatives, resamples=2000, seed=0):
    """AUROC and its 95% percentile CI, resampling patients (each group's (patient, score) pairs)."""
    value = auroc([s for _, s in positives], [s for _, s in negatives])
    patients = sorted({p for p, _ in positives} | {p for p, _ in negatives})
    by_patient = collections.defaultdict(lambda: ([], []))
    for p, s in positives:
        by_patient[p][0].append(s)
    for p, s in negatives:
        by_patient[p][1].append(s)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        drawn = rng.choice(len(patients), len(patients))
        pos = [s for i in drawn for s in by_patient[patients[i]][0]]
        neg = [s for i in drawn for s in by_patient[patients[i]][1]]
        if pos and neg:
            values.append(auroc(pos, neg))
    low, high = np.percentile(values, [2.5, 97.5])
    return value, low, high


def read_scores(path, wanted, what):
    """The image scores of a predictions file: its first `p_` column for which `wanted` holds."""
    with open(path) as handle:
        rows = list(csv.DictReader(handle))
    column = next((c for c in rows[0] if c.startswith("p_") and wanted(c)), None) if rows else None
    if column is None:
        raise SystemExit(f"{path}: no {what} column")
    return column, {row["image_id"]: float(row[column]) for row in rows}


def read_cohort(cohort):
    """The cohort's finding rows and each image's patient (labels/findings.csv, labels/images.csv)."""
    with open(os.path.join(cohort, "labels", "findings.csv")) as handle:
        findings = list(csv.DictReader(handle))
    with open(os.path.join(cohort, "labels", "images.csv")) as handle:
        patient = {row["image_id"]: row["patient_id"] for row in csv.DictReader(handle)}
    return findings, patient


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cohort")
    parser.add_argument("predictions")
    parser.add_argument("--csv", help="append the figures to this CSV file")
    parser.add_argument("--label", default="", help="the run's name in the CSV")
    args = parser.parse_args()

    _, score = read_scores(args.predictions, lambda c: "suspicious calcification" in c and "no " not in c,
                           "'p_suspicious calcification'")
    findings, patient = read_cohort(args.cohort)
    types, distributions = collections.defaultdict(set), collections.defaultdict(set)
    for row in findings:
        if row["kind"] == "calcification":
            types[row["image_id"]].add(row["morphology"])
            if row.get("distribution"):
                distributions[row["image_id"]].add(row["distribution"])

    def pairs(images):
        return [(patient[image], score[image]) for image in images]

    free = [image for image in score if not types[image]]
    figures = []

    def report(group, value, positives, negatives):
        if not positives or not negatives:
            return
        auc, low, high = bootstrap(pairs(positives), pairs(negatives))
        figures.append((group, value, len(positives), len(negatives), auc, low, high))
        print(f"{group:15s} {value:22s} {len(positives):5d} {len(negatives):6d}  {auc:.3f} ({low:.3f}-{high:.3f})")

    print(f"{len(score)} scored images, {len(free)} without calcifications")
    print(f"{'group':15s} {'images holding only':22s} {'n':>5s} {'vs n':>6s}  AUROC against calcification-free images")
    for kind in sorted({t for ts in types.values() for t in ts}):
        report("type", kind, [i for i in score if types[i] == {kind}], free)
    for spread in sorted({d for ds in distributions.values() for d in ds}):
        report("distribution", spread, [i for i in score if distributions[i] == {spread}], free)
    suspicious = [i for i in score if types[i] - BENIGN]
    benign = [i for i in score if types[i] and types[i] <= BENIGN]
    print("discrimination: images with a suspicious calcification against images with benign ones only")
    report("discrimination", "suspicious_vs_benign", suspicious, benign)
    report("detection", "suspicious_vs_free", suspicious, free)

    if args.csv:
        new = not os.path.exists(args.csv)
        with open(args.csv, "a", newline="") as handle:
            writer = csv.writer(handle)
            if new:
                writer.writerow(["label", "group", "value", "n_positive", "n_negative", "auroc", "ci_low", "ci_high"])
            for row in figures:
                writer.writerow([args.label, *row[:4], *(f"{x:.4f}" for x in row[4:])])


if __name__ == "__main__":
    main()
