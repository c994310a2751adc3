"""Regenerates metrics.json: reference values for MammoEvaluation's metrics from scikit-learn and
scipy, and DeLong's variance / paired test from its pairwise definition (O(m n), independent of the
midrank algorithm MammoFM uses). Run: bash scripts/torch-python.sh Tests/MammoEvaluationTests/Fixtures/generate_fixtures.py
"""
import json
import os

import numpy as np
from scipy.stats import norm
from sklearn.metrics import (accuracy_score, average_precision_score, balanced_accuracy_score, cohen_kappa_score, confusion_matrix,
                             roc_auc_score, roc_curve)


def psi(x, y):
    return (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])


def delong(scores, labels):
    x, y = scores[labels], scores[~labels]
    p = psi(x, y)
    return p.mean(), p.mean(axis=1), p.mean(axis=0)


def case(name, scores, labels, other):
    labels = np.asarray(labels, dtype=bool)
    scores, other = np.asarray(scores, float), np.asarray(other, float)
    auc, v10, v01 = delong(scores, labels)
    m, n = len(v10), len(v01)
    var = v10.var(ddof=1) / m + v01.var(ddof=1) / n
    auc2, w10, w01 = delong(other, labels)
    var2 = w10.var(ddof=1) / m + w01.var(ddof=1) / n
    cov = np.cov(v10, w10)[0, 1] / m + np.cov(v01, w01)[0, 1] / n
    z = (auc - auc2) / np.sqrt(var + var2 - 2 * cov)
    fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
    youden = thresholds[1:][np.argmax((tpr - fpr)[1:])]
    threshold = float(np.median(scores))
    called = scores >= threshold
    tp, fp = int((called & labels).sum()), int((called & ~labels).sum())
    tn, fn = int((~called & ~labels).sum()), int((~called & labels).sum())
    probabilities = 1 / (1 + np.exp(-scores))
    bins = np.minimum((probabilities * 10).astype(int), 9)
    ece = sum(abs(labels[bins == b].sum() - probabilities[bins == b].sum()) for b in range(10)) / len(labels)
    assert abs(auc - roc_auc_score(labels, scores)) < 1e-12
    return {
        "name": name, "scores": scores.tolist(), "other": other.tolist(), "labels": labels.tolist(),
        "auc": roc_auc_score(labels, scores), "variance": var,
        "ci95": [max(0.0, auc - norm.ppf(0.975) * np.sqrt(var)), min(1.0, auc + norm.ppf(0.975) * np.sqrt(var))],
        "paired_z": z, "paired_p": 2 * norm.sf(abs(z)), "average_precision": average_precision_score(labels, scores),
        "youden_threshold": float(youden), "median_threshold": threshold,
        "counts": [tp, fp, tn, fn], "balanced_accuracy": balanced_accuracy_score(labels, called),
        "ece": float(ece),
    }


def main():
    rng = np.random.default_rng(20261129)
    cases = []
    labels = rng.random(300) < 0.2
    cases.append(case("continuous", labels * 0.8 + rng.normal(size=300), labels, labels * 0.4 + rng.normal(size=300), ))
    labels = rng.random(120) < 0.35
    scores = np.round(labels * 0.7 + rng.normal(size=120), 1)  # many ties
    cases.append(case("ties", scores, labels, np.round(rng.normal(size=120), 1)))
    labels = np.array([True, False, True, True, False, False, False, True, False, False])
    cases.append(case("small", [0.9, 0.8, 0.7, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1], labels, [0.1, 0.2, 0.9, 0.3, 0.5, 0.4, 0.8, 0.7, 0.6, 0.5]))
    truth = rng.integers(0, 4, 200)
    predicted = np.clip(truth + rng.choice([-1, 0, 0, 0, 1, 2], 200), 0, 3)
    kappa = {
        "truth": truth.tolist(), "predicted": predicted.tolist(), "confusion": confusion_matrix(truth, predicted, labels=[0, 1, 2, 3]).tolist(),
        "none": cohen_kappa_score(truth, predicted), "linear": cohen_kappa_score(truth, predicted, weights="linear"),
        "quadratic": cohen_kappa_score(truth, predicted, weights="quadratic"),
    }
    # Multi-class probabilities for the density-style summary (accuracy, balanced accuracy, macro one-vs-rest AUROC).
    logits = rng.normal(size=(200, 4)) + 1.5 * np.eye(4)[truth]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    argmax = probabilities.argmax(axis=1)
    multiclass = {
        "truth": truth.tolist(), "probabilities": probabilities.tolist(), "accuracy": accuracy_score(truth, argmax),
        "balanced_accuracy": balanced_accuracy_score(truth, argmax),
        "macro_ovr_auroc": roc_auc_score(truth, probabilities, multi_class="ovr", average="macro"),
        "quadratic_kappa": cohen_kappa_score(truth, argmax, weights="quadratic"),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics.json")
    with open(path, "w") as f:
        json.dump({"binary": cases, "kappa": kappa, "multiclass": multiclass, "normal_quantiles": {str(p): norm.ppf(p) for p in [0.001, 0.025, 0.5, 0.9, 0.975, 0.999]}}, f)
    print("wrote", path)


if __name__ == "__main__":
    main()
