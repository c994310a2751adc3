"""Regenerates the detection parity fixtures (run: make fixtures).

Reference: the official Mammo-CLIP detector code (PyPI `mammoclip` 0.1.8, `codebase/Detectors`):
RetinaNet, Anchors, BBoxTransform, ClipBoxes, FocalLoss, torchvision's nms as the detector calls it,
and the AP of `Detectors.experiments.evaluate` run on fixed detections. Weights are not stored: the
RetinaNet's state dict is filled with `deterministic_weights` (the rule of the model fixtures, which
the Swift tests repeat with `Module.fillWithReproducibleWeights`).

Writes, next to this script:
  detection.safetensors  anchors (128 x 96, 100 x 76); box decoding and clipping; the focal and
                         regression losses with their gradients on three images (two boxes, none,
                         one); a B0 RetinaNet's class and box outputs (2 x 3 x 128 x 96, eval) and
                         its detections (image 0, score 0.05, NMS 0.5, best 100); NMS of 200 boxes
  detection.json         the AP cases: per image detections and ground truth, and the reference's AP
"""
import json
import os
import sys
import types

import numpy as np
import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(1)

import importlib.machinery  # noqa: E402
import importlib.util  # noqa: E402
# The `mammoclip` wheel ships the reference code as the top-level package `codebase`, whose modules
# import each other by their names within it.
sys.path.insert(0, importlib.util.find_spec("codebase").submodule_search_locations[0])

# experiments.py imports the training pipeline (pandas, albumentations, imgaug, tensorboard); its
# `evaluate` needs none of them, so those imports are stubbed.
for name in ["cv2", "pandas", "Datasets", "Datasets.dataset_utils", "utils", "torch.utils.tensorboard"]:
    stub = types.ModuleType(name)
    stub.__spec__ = importlib.machinery.ModuleSpec(name, None)
    stub.get_dataset = stub.get_transforms = stub.seed_all = stub.timeSince = stub.SummaryWriter = lambda *a, **k: None
    sys.modules[name] = stub

from torchvision.ops import nms  # noqa: E402
from Detectors.detectors_utils import BBoxTransform, ClipBoxes  # noqa: E402
from Detectors.retinanet.anchors import Anchors  # noqa: E402
from Detectors.retinanet.losses import FocalLoss  # noqa: E402
from Detectors.retinanet.detector_model import RetinaNet  # noqa: E402
from Detectors.retinanet.efficient_net import EfficientNet  # noqa: E402
from Detectors import experiments  # noqa: E402


def deterministic_weights(module, seed=1000):
    """The reproducible-weights rule of the model fixtures (and of MammoFM's fillWithReproducibleWeights)."""
    script = os.path.join(HERE, "../../MammoModelsTests/Fixtures/generate_fixtures.py")
    spec = importlib.util.spec_from_file_location("model_fixtures", script)
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    fixtures.deterministic_weights(module, seed)


out = {}

# Anchors of two image sizes (the second not a multiple of 128).
for h, w in [(128, 96), (100, 76)]:
    out[f"anchors.{h}x{w}"] = Anchors()(torch.zeros(1, 3, h, w))[0].contiguous()

# Box decoding and clipping on the 128 x 96 anchors.
anchors = out["anchors.128x96"]
torch.manual_seed(1)
deltas = torch.randn(1, anchors.shape[0], 4) * 2
out["decode.deltas"] = deltas[0].contiguous()
out["decode.boxes"] = ClipBoxes()(BBoxTransform()(anchors.unsqueeze(0), deltas), torch.zeros(1, 3, 128, 96))[0].contiguous()

# The loss on three images: two boxes (classes 0 and 1), none, one (class 1).
torch.manual_seed(2)
logits = torch.randn(3, anchors.shape[0], 2) * 2 - 2
probabilities = torch.sigmoid(logits).detach().requires_grad_(True)
regression = (torch.randn(3, anchors.shape[0], 4) * 0.5).requires_grad_(True)
annotations = torch.full((3, 2, 5), -1.0)
annotations[0, 0] = torch.tensor([20.0, 30.0, 52.0, 62.0, 0.0])
annotations[0, 1] = torch.tensor([40.0, 60.0, 100.0, 120.0, 1.0])
annotations[2, 0] = torch.tensor([10.5, 12.0, 33.5, 47.0, 1.0])
cls_loss, reg_loss = FocalLoss(0.25, 2.0)(probabilities, regression, anchors.unsqueeze(0), annotations)
(cls_loss.sum() + reg_loss.sum()).backward()
out["loss.probabilities"] = probabilities.detach().contiguous()
out["loss.regression"] = regression.detach().contiguous()
out["loss.annotations"] = annotations
out["loss.classification"] = cls_loss.detach().reshape(1)
out["loss.box"] = reg_loss.detach().reshape(1)
out["loss.grad.probabilities"] = probabilities.grad.contiguous()
out["loss.grad.regression"] = regression.grad.contiguous()

# A B0 RetinaNet (taps 10 and 15: the last block of stage 5, the first of stage 7), two classes.
backbone = EfficientNet.from_name("efficientnet-b0")
backbone._fc = torch.nn.Identity()  # unused by the detector; keeps the state dict to what MammoFM has
backbone.source_layer_indexes = [10, 15]
model = RetinaNet(2, backbone, [112, 320, 1280])
deterministic_weights(model)
model.eval()
torch.manual_seed(3)
images = torch.randn(2, 3, 128, 96)
out["model.images"] = images
with torch.no_grad():
    _, c3, c4, c5 = model.efficientnet(images)
    features = model.fpn([c3, c4, c5])
    out["model.regression"] = torch.cat([model.regressionModel(f) for f in features], dim=1).contiguous()
    out["model.classification"] = torch.cat([model.classificationModel(f) for f in features], dim=1).contiguous()
    scores, labels, boxes = model(images[:1])
scores, labels, boxes = scores.numpy(), labels.numpy(), boxes.numpy()
# _get_detections: scores above 0.05, best 100.
keep = np.where(scores > 0.05)[0]
order = np.argsort(-scores[keep])[:100]
out["model.detections.boxes"] = torch.from_numpy(boxes[keep[order]].astype(np.float32)).reshape(-1, 4)
out["model.detections.scores"] = torch.from_numpy(scores[keep[order]].astype(np.float32))
out["model.detections.labels"] = torch.from_numpy(labels[keep[order]].astype(np.int64))

# NMS of 200 random boxes.
torch.manual_seed(4)
corners = torch.rand(200, 2) * 100
sizes = torch.rand(200, 2) * 35 + 5
nms_boxes = torch.cat([corners, corners + sizes], dim=1)
nms_scores = torch.rand(200)
out["nms.boxes"] = nms_boxes
out["nms.scores"] = nms_scores
out["nms.keep"] = nms(nms_boxes, nms_scores, 0.5).to(torch.int64)

save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(HERE, "detection.safetensors"))
print(f"detection.safetensors: {len(out)} tensors", file=sys.stderr)


# AP: the reference's evaluate() on fixed detections (a stand-in detector returns them per image).
class FixedDetector:
    def __init__(self, per_image):
        self.per_image, self.index = per_image, 0

    def eval(self):
        pass

    def __call__(self, image):
        found = self.per_image[int(image.flatten()[0])]
        return (torch.tensor([d[4] for d in found], dtype=torch.float32), torch.tensor([d[5] for d in found], dtype=torch.int64),
                torch.tensor([d[:4] for d in found], dtype=torch.float32).reshape(-1, 4))


class Logger:
    def add_scalar(self, *args):
        pass


rng = np.random.default_rng(5)
cases = []
for case in range(4):
    images, per_image = [], []
    for index in range(8):
        truth = []
        for _ in range(int(rng.integers(0, 3)) if index % 4 else 0):
            x, y = rng.uniform(0, 400, 2)
            w, h = rng.uniform(10, 80, 2)
            truth.append([round(x, 2), round(y, 2), round(x + w, 2), round(y + h, 2), int(rng.integers(0, 2))])
        found = []
        for t in truth:
            for _ in range(int(rng.integers(0, 3))):
                jitter = rng.normal(0, [4, 4, 4, 4] if case % 2 == 0 else [15, 15, 15, 15])
                found.append([*(np.array(t[:4]) + jitter).round(2).tolist(), round(float(rng.uniform(0.06, 1)), 4),
                              t[4] if rng.uniform() > 0.2 else 1 - t[4]])
        for _ in range(int(rng.integers(0, 4))):
            x, y = rng.uniform(0, 400, 2)
            w, h = rng.uniform(10, 80, 2)
            found.append([round(x, 2), round(y, 2), round(x + w, 2), round(y + h, 2), round(float(rng.uniform(0.06, 1)), 4),
                          int(rng.integers(0, 2))])
        images.append({"image": torch.full((1, 4, 4), float(index)),
                       "target": {"boxes": torch.tensor(truth, dtype=torch.float32).reshape(-1, 5)}})
        per_image.append(found)
    average_precisions, mean_ap = experiments.evaluate(images, ["Mass", "Suspicious_Calcification"], Logger(), 0, FixedDetector(per_image))
    cases.append({"detections": per_image, "groundTruth": [im["target"]["boxes"].tolist() for im in images],
                  "averagePrecision": [float(average_precisions[c][0]) for c in range(2)],
                  "annotations": [int(average_precisions[c][1]) for c in range(2)], "meanAP": float(mean_ap)})
with open(os.path.join(HERE, "detection.json"), "w") as f:
    json.dump({"cases": cases}, f, indent=1)
print(f"detection.json: {len(cases)} AP cases", file=sys.stderr)
