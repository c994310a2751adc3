"""Regenerates calibration.json: reference fits for MammoEvaluation's ProbabilityCalibration.
Platt scaling: scikit-learn's own sigmoid calibration (sklearn.calibration._sigmoid_calibration, Platt's
smoothed targets) on the logit of the scores. Temperature scaling: scipy's bounded scalar minimiser of the
negative log-likelihood of p^(1/T) renormalised, over log T in [log 0.05, log 20].
Run: bash scripts/torch-python.sh Tests/MammoEvaluationTests/Fixtures/generate_calibration_fixtures.py
"""
import json
import os

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.calibration import _sigmoid_calibration

CLIP = 1e-6


def logit(p):
    q = np.clip(p, CLIP, 1 - CLIP)
    return np.log(q / (1 - q))


def platt_case(name, scores, labels):
    # scikit-learn fits P(y=1|f) = 1 / (1 + exp(A f + B)); MammoFM writes sigmoid(a f + b): a = -A, b = -B.
    a, b = _sigmoid_calibration(logit(scores), labels)
    return {"name": name, "scores": scores.tolist(), "labels": [bool(x) for x in labels], "slope": float(-a), "intercept": float(-b)}


def temperature_case(name, probabilities, labels):
    logs = np.log(np.clip(probabilities, CLIP, 1))

    def nll(log_t):
        z = logs / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return -np.log(np.maximum(p[np.arange(len(labels)), labels], 1e-300)).sum()

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20)), method="bounded", options={"xatol": 1e-10})
    return {"name": name, "probabilities": probabilities.tolist(), "labels": [int(x) for x in labels], "temperature": float(np.exp(result.x))}


rng = np.random.default_rng(7)
cases = []
# Overconfident scores: the truth is sigmoid(0.5 logit(s) - 0.3).
s = rng.uniform(0.01, 0.99, 400)
y = rng.uniform(size=400) < 1 / (1 + np.exp(-(0.5 * logit(s) - 0.3)))
cases.append(platt_case("overconfident", s, y))
# Underconfident scores near 0.5, few positives.
s = 1 / (1 + np.exp(-rng.normal(0, 0.3, 150)))
y = rng.uniform(size=150) < 1 / (1 + np.exp(-(4 * logit(s) - 2)))
cases.append(platt_case("underconfident", s, y))
# Separable: Platt's targets keep the slope finite.
s = np.concatenate([rng.uniform(0.0, 0.4, 30), rng.uniform(0.6, 1.0, 10)])
y = np.array([False] * 30 + [True] * 10)
cases.append(platt_case("separable", s, y))

temperature = []
for name, true_t, n in [("sharpened", 0.5, 300), ("flattened", 3.0, 300)]:
    logits = rng.normal(0, 2, (n, 4))
    truth = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(4, p=p) for p in truth])
    shown = np.exp(logits / true_t)
    shown = shown / shown.sum(axis=1, keepdims=True)
    temperature.append(temperature_case(name, shown, labels))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "calibration.json")
with open(out, "w") as f:
    json.dump({"platt": cases, "temperature": temperature}, f, indent=1)
print("wrote", out)
