"""Splits a suspicious-calcification score by what the images hold: does a model detect calcifications
at all, and does it tell suspicious morphology from benign punctate clusters?

For each morphology, the AUROC of images holding only that morphology against calcification-free
images (detection); then suspicious images against punctate-only images (discrimination), the
distinction the "suspicious calcification" label asks for.

    bash scripts/torch-python.sh benchmarks/pretrain/calcification_by_morphology.py COHORT PREDICTIONS.csv

COHORT is a `mammofm synth` output; PREDICTIONS.csv a calcification predictions file written by
`mammofm zeroshot`, `probe` or `finetune` (`image_id` and a `p_suspicious calcification` column).
"""
import argparse
import collections
import csv
import os

import numpy as np


def auroc(positives, negatives):
    scores = np.array(positives + negatives)
    labels = np.array([1] * len(positives) + [0] * len(negatives))
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    # Ties share their mean rank.
    for value in np.unique(scores):
        tied = scores == value
        ranks[tied] = ranks[tied].mean()
    p, n = len(positives), len(negatives)
    return (ranks[labels == 1].sum() - p * (p + 1) / 2) / (p * n)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cohort")
    parser.add_argument("predictions")
    args = parser.parse_args()

    with open(args.predictions) as handle:
        rows = list(csv.DictReader(handle))
    column = next((c for c in rows[0] if c.startswith("p_") and "suspicious calcification" in c and "no " not in c), None)
    if column is None:
        raise SystemExit(f"{args.predictions}: no 'p_suspicious calcification' column")
    score = {row["image_id"]: float(row[column]) for row in rows}

    morphologies = collections.defaultdict(set)
    with open(os.path.join(args.cohort, "labels", "findings.csv")) as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "calcification":
                morphologies[row["image_id"]].add(row["morphology"])

    free = [s for image, s in score.items() if not morphologies[image]]
    single = collections.defaultdict(list)
    for image, s in score.items():
        if len(morphologies[image]) == 1:
            single[next(iter(morphologies[image]))].append(s)
    print(f"{len(score)} scored images, {len(free)} without calcifications")
    print(f"{'images holding only':22s} {'n':>5s}  AUROC against calcification-free images")
    for morphology, values in sorted(single.items()):
        print(f"{morphology:22s} {len(values):5d}  {auroc(values, free):.3f}")
    suspicious = [s for image, s in score.items() if morphologies[image] - {"punctate"}]
    punctate = single.get("punctate", [])
    if suspicious and punctate:
        print(f"suspicious ({len(suspicious)}) against punctate-only ({len(punctate)}) images: {auroc(suspicious, punctate):.3f}")


if __name__ == "__main__":
    main()
