"""Makes a view of a `mammofm synth` cohort for one study question; the view links every file of the
cohort but the label tables it rewrites.

    --swap-validation-test   validation and test splits trade names, so that `mammofm zeroshot`
                             scores on validation images: prompt choices are made there, never on
                             the test split.
    --calcified-only         only images holding a calcification (benign or suspicious), so that a
                             `mammofm probe --tasks calcification` learns and is scored on suspicious
                             against benign calcifications, not against calcification-free images.

    bash scripts/torch-python.sh benchmarks/pretrain/cohort_view.py COHORT VIEW [--swap-validation-test] [--calcified-only]
"""
import argparse
import csv
import os

SWAP = {"validation": "test", "test": "validation"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cohort")
    parser.add_argument("view")
    parser.add_argument("--swap-validation-test", action="store_true")
    parser.add_argument("--calcified-only", action="store_true")
    args = parser.parse_args()
    cohort, view = os.path.abspath(args.cohort), os.path.abspath(args.view)
    os.makedirs(os.path.join(view, "labels"))
    for name in os.listdir(cohort):
        if name not in ("labels", "splits.csv"):
            os.symlink(os.path.join(cohort, name), os.path.join(view, name))

    calcified = set()
    with open(os.path.join(cohort, "labels", "findings.csv")) as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "calcification":
                calcified.add(row["image_id"])
    for relative in ("labels/findings.csv", "labels/images.csv", "splits.csv"):
        with open(os.path.join(cohort, relative)) as handle:
            rows = list(csv.DictReader(handle))
        with open(os.path.join(view, relative), "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=rows[0].keys())
            writer.writeheader()
            for row in rows:
                if args.calcified_only and "image_id" in row and row["image_id"] not in calcified:
                    continue
                if args.swap_validation_test and "split" in row:
                    row["split"] = SWAP.get(row["split"], row["split"])
                writer.writerow(row)


if __name__ == "__main__":
    main()
