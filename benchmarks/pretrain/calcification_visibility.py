"""How visible the synthetic cohort's findings are at a given input size, without any model.

For each calcification morphology (and masses), a top-hat statistic (the pixel minus its 7 x 7 mean,
maximum over the finding's box) is compared with the same box in an image of the same view with no
finding: the AUROC says how separable the finding is when one knows where to look. A second figure,
the maximum over the whole breast, says how separable it is when one does not (the zero-shot task).

    bash scripts/torch-python.sh benchmarks/pretrain/calcification_visibility.py COHORT PREPARED_IMAGES \
        [--sizes 512x320,256x160,128x80] [--per-kind 150]

COHORT is a `mammofm synth` output; PREPARED_IMAGES the `mammofm preprocess --keep-file-names`
images of it (PNG + JSON sidecar, whose crop geometry maps the boxes).
"""
import argparse
import csv
import glob
import json
import os
import random

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def auroc(positives, negatives):
    scores = np.array(positives + negatives)
    labels = np.array([1] * len(positives) + [0] * len(negatives))
    ranks = np.empty(len(scores))
    ranks[scores.argsort(kind="mergesort")] = np.arange(1, len(scores) + 1)
    p, n = len(positives), len(negatives)
    return (ranks[labels == 1].sum() - p * (p + 1) / 2) / (p * n)


class Images:
    def __init__(self, folder):
        self.folder = folder
        self.geometry = {}
        for path in glob.glob(os.path.join(folder, "*.json")):
            sidecar = json.load(open(path))
            self.geometry[os.path.basename(sidecar["output"])[:-4]] = sidecar["geometry"]
        self.cache = {}

    def tophat(self, image_id, size):
        key = (image_id, size)
        if key not in self.cache:
            pixels = np.array(Image.open(os.path.join(self.folder, image_id + ".png")).convert("L"), dtype=np.float32)
            x = torch.from_numpy(pixels / 255)[None, None]
            if tuple(x.shape[2:]) != size:
                x = F.interpolate(x, size=size, mode="area")
            background = F.avg_pool2d(x, 7, 1, 3, count_include_pad=False)
            self.cache[key] = ((x - background)[0, 0], x[0, 0] > 0.05)
            if len(self.cache) > 4000:
                self.cache.pop(next(iter(self.cache)))
        return self.cache[key]

    def box_max(self, image_id, box, size):
        """The top-hat maximum over a source-pixel box mapped into the resized, cropped image."""
        g = self.geometry[image_id]
        fy, fx = size[0] / g["outputHeight"], size[1] / g["outputWidth"]
        x0 = (box[0] - g["cropX0"]) * g["scaleX"] * fx
        x1 = (box[2] - g["cropX0"]) * g["scaleX"] * fx
        y0 = (box[1] - g["cropY0"]) * g["scaleY"] * fy
        y1 = (box[3] - g["cropY0"]) * g["scaleY"] * fy
        if g["flipped"]:
            x0, x1 = size[1] - x1, size[1] - x0
        t, _ = self.tophat(image_id, size)
        region = t[max(0, int(y0)):int(np.ceil(y1)) + 1, max(0, int(x0)):int(np.ceil(x1)) + 1]
        return float(region.max()) if region.numel() else None

    def breast_max(self, image_id, size):
        t, inside = self.tophat(image_id, size)
        values = t[inside]
        return float(values.max()) if values.numel() else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cohort")
    parser.add_argument("images")
    parser.add_argument("--sizes", default="512x320,256x160,128x80")
    parser.add_argument("--per-kind", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    images = Images(args.images)
    rng = random.Random(args.seed)

    with open(os.path.join(args.cohort, "labels", "images.csv")) as f:
        image_rows = [r for r in csv.DictReader(f) if r["image_id"] in images.geometry]
    with open(os.path.join(args.cohort, "labels", "findings.csv")) as f:
        findings = [r for r in csv.DictReader(f) if r["image_id"] in images.geometry]
    categories = {}
    for r in findings:
        categories.setdefault(r["image_id"], set()).add(r["vindr_category"])
    clean = {}
    for r in image_rows:
        if not r["findings"]:
            clean.setdefault(r["image_id"][-3:], []).append(r["image_id"])
    groups = {}
    for r in findings:
        if r["kind"] == "calcification":
            groups.setdefault("calcification " + r["morphology"], []).append(r)
        elif r["kind"] == "mass":
            groups.setdefault("mass", []).append(r)
    for rows in groups.values():
        rng.shuffle(rows)

    print("Box-local top-hat AUROC (finding's box vs the same box in a finding-free image of the same view):")
    print("%-34s" % "finding" + "".join("%14s" % ("%dx%d" % s) for s in sizes) + "%8s" % "n")
    for name in sorted(groups):
        rows = groups[name][:args.per_kind]
        figures = []
        for size in sizes:
            positives, negatives = [], []
            for r in rows:
                box = [int(float(r[k])) for k in ("xmin", "ymin", "xmax", "ymax")]
                other = rng.choice(clean[r["image_id"][-3:]])
                a, b = images.box_max(r["image_id"], box, size), images.box_max(other, box, size)
                if a is not None and b is not None:
                    positives.append(a)
                    negatives.append(b)
            figures.append(auroc(positives, negatives))
        print("%-34s" % name + "".join("%14.3f" % v for v in figures) + "%8d" % len(rows))

    print("\nWhole-breast top-hat maximum AUROC per image (no location given):")
    sample = rng.sample(image_rows, min(len(image_rows), 3000))
    for task, kinds in (("suspicious calcification", ("Suspicious Calcification",)), ("mass", ("Mass",))):
        labels = [int(any(k in categories.get(r["image_id"], ()) for k in kinds)) for r in sample]
        figures = []
        for size in sizes:
            scores = [images.breast_max(r["image_id"], size) for r in sample]
            figures.append(auroc([s for s, y in zip(scores, labels) if y], [s for s, y in zip(scores, labels) if not y]))
        print("%-34s" % task + "".join("%14.3f" % v for v in figures) + "%8d" % sum(labels))


if __name__ == "__main__":
    main()
