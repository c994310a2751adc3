"""Splits any task's score (a `mammofm zeroshot`/`probe`/`finetune` predictions file) by which finding
the images hold alone: does a "mass" score answer "a mass" or "a finding"? For each group (mass only,
benign calcifications only, suspicious calcifications only, lymph node only), the AUROC against
finding-free images, then mass-only images against each calcification group. 95% CIs by bootstrap
over patients (calcification_by_morphology.bootstrap).

    bash scripts/torch-python.sh benchmarks/pretrain/score_by_finding.py COHORT PREDICTIONS.csv
"""
import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from calcification_by_morphology import BENIGN, bootstrap, read_cohort, read_scores  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cohort")
    parser.add_argument("predictions")
    args = parser.parse_args()

    column, score = read_scores(args.predictions, lambda c: not c.startswith("p_no "), "positive-class probability")
    findings, patient = read_cohort(args.cohort)
    kinds, types = collections.defaultdict(set), collections.defaultdict(set)
    for row in findings:
        kinds[row["image_id"]].add(row["kind"])
        if row["kind"] == "calcification":
            types[row["image_id"]].add(row["morphology"])

    def pairs(images):
        return [(patient[image], score[image]) for image in images]

    groups = {
        "mass only": [i for i in score if kinds[i] == {"mass"}],
        "benign calcifications only": [i for i in score if kinds[i] == {"calcification"} and types[i] <= BENIGN],
        "suspicious calcifications only": [i for i in score if kinds[i] == {"calcification"} and types[i] - BENIGN],
        "lymph node only": [i for i in score if kinds[i] == {"lymph_node"}],
    }
    free = [i for i in score if not kinds[i]]
    print(f"{column} of {len(score)} images, {len(free)} without findings")
    for name, images in groups.items():
        if images:
            auc, low, high = bootstrap(pairs(images), pairs(free))
            print(f"{name:32s} n={len(images):4d}  against finding-free {auc:.3f} ({low:.3f}-{high:.3f})")
    for name in ("benign calcifications only", "suspicious calcifications only"):
        if groups["mass only"] and groups[name]:
            auc, low, high = bootstrap(pairs(groups["mass only"]), pairs(groups[name]))
            print(f"mass only against {name}: {auc:.3f} ({low:.3f}-{high:.3f})")


if __name__ == "__main__":
    main()
