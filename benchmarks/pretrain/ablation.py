"""Pretraining ablation in PyTorch: which parts of the Mammo-CLIP recipe let a dual encoder trained from
scratch on a synthetic cohort learn lesions, measured the same way for every variant.

One run trains for --steps steps of --batch breasts on the cohort's training split (images read once
from the preprocessed PNGs, resized to 256 x 160, no augmentation), with the Mammo-CLIP loss
(L_it over the four view/text pairings + W_ii L_ii + W_tt L_tt, one learned scale) or the plain
CLIP loss, then prints on the test split:
  zero-shot AUROC with the reference prompts ("no mass" / "mass", "no suspicious calcification" /
  "suspicious calcification") and with report-style prompts, per image;
  a logistic probe on the pooled image features (fitted on the training images).
Towers: --image cnn (five conv blocks, 16-128 channels) or efficientnet (the tiny configuration's
EfficientNet-B0 at width 0.25 / depth 0.34, batch-norm momentum 0.1; --efficientnet-width and
--drop-connect vary it); --text-layers N transformer
layers over word embeddings, mean-pooled (0 = bag of words).

    mammofm synth --patients 600 --seed 1 --lesion-contrast 2.5 --out cohort
    mammofm preprocess cohort/dicom --out prepared --size 512x320 --keep-file-names
    bash scripts/torch-python.sh benchmarks/pretrain/ablation.py --cohort cohort --images prepared/images \
        --image-image-weight 0 --steps 400
"""
import argparse
import ast
import csv
import math
import os
import random
import re
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

PROMPTS = {
    "mass": (["no mass", "mass"], ["there are no dominant masses", "there is an oval mass"]),
    "calcification": (["no suspicious calcification", "suspicious calcification"],
                      ["there are no suspicious calcifications", "there are clustered amorphous calcifications"]),
}


def words(text):
    return re.findall(r"[a-z]+", text.lower())


def load_split(cohort, images, split, cache):
    path = os.path.join(cache, f"ablation-{split}.pt")
    if os.path.exists(path):
        return torch.load(path)
    findings = {}
    with open(os.path.join(cohort, "vindr", "finding_annotations.csv")) as f:
        for row in csv.DictReader(f):
            findings.setdefault(row["image_id"], set()).update(ast.literal_eval(row["finding_categories"]))
    with open(os.path.join(cohort, "mammoclip", "pretrain.csv")) as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split]

    def pixels(name):
        return np.array(Image.open(os.path.join(images, name)).convert("L").resize((160, 256), Image.BILINEAR))

    views = {v: torch.from_numpy(np.stack([pixels(ast.literal_eval(r[v])[0]) for r in rows])) for v in ("CC", "MLO")}
    labels = {}
    for task, category in (("mass", "Mass"), ("calcification", "Suspicious Calcification")):
        labels[task] = torch.tensor([[int(category in findings.get(ast.literal_eval(r[v])[0][:-4], ())) for v in ("CC", "MLO")]
                                     for r in rows])
    data = {"views": views, "labels": labels, "sections": [ast.literal_eval(r["text"]) for r in rows],
            "paraphrases": [ast.literal_eval(r["text_augment"]) for r in rows]}
    torch.save(data, path)
    return data


def conv_block(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, 2, 1, bias=False), nn.BatchNorm2d(o), nn.SiLU(),
                         nn.Conv2d(o, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o), nn.SiLU())


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(conv_block(1, 16), conv_block(16, 32), conv_block(32, 64), conv_block(64, 96), conv_block(96, 128))
        self.feature_count = 128

    def forward(self, x):
        return self.body(x).mean((2, 3))


class TinyEfficientNet(nn.Module):
    def __init__(self, width=0.25, drop_connect=0.2):
        super().__init__()
        from efficientnet_pytorch import EfficientNet
        from efficientnet_pytorch.utils import efficientnet
        blocks, params = efficientnet(width_coefficient=width, depth_coefficient=0.34, image_size=256, dropout_rate=0.2,
                                      drop_connect_rate=drop_connect, include_top=False)
        self.net = EfficientNet(blocks, params)
        for m in self.net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = 0.1
        self.feature_count = self.net._conv_head.out_channels

    def forward(self, x):
        return self.net._avg_pooling(self.net.extract_features(x.expand(-1, 3, -1, -1))).flatten(1)


class TextTower(nn.Module):
    def __init__(self, vocabulary, layers, dim=64, length=64):
        super().__init__()
        self.embed = nn.Embedding(vocabulary, dim, padding_idx=0)
        self.position = nn.Parameter(torch.zeros(length, dim))
        layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, 0.0, batch_first=True)
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False) if layers > 0 else None

    def forward(self, ids):
        mask = (ids > 0).float()
        h = self.embed(ids)
        if self.layers is not None:
            h = self.layers(h + self.position[: ids.size(1)], src_key_padding_mask=ids == 0)
        return (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)


def auroc(scores, labels):
    scores, labels = torch.as_tensor(scores).float(), torch.as_tensor(labels).bool()
    p, n = scores[labels], scores[~labels]
    return ((p[:, None] > n[None]).float().mean() + 0.5 * (p[:, None] == n[None]).float().mean()).item()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cohort", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--cache", default=None, help="where the resized images are kept between runs (default: the images folder's parent)")
    parser.add_argument("--image", choices=["cnn", "efficientnet"], default="cnn")
    parser.add_argument("--efficientnet-width", type=float, default=0.25)
    parser.add_argument("--drop-connect", type=float, default=0.2, help="the EfficientNet's stochastic depth rate")
    parser.add_argument("--text-layers", type=int, default=1)
    parser.add_argument("--loss", choices=["mammoclip", "clip"], default="mammoclip")
    parser.add_argument("--image-image-weight", type=float, default=1.0)
    parser.add_argument("--text-text-weight", type=float, default=0.5)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    cache = args.cache or os.path.dirname(os.path.abspath(args.images.rstrip("/")))
    train, test = (load_split(args.cohort, args.images, s, cache) for s in ("train", "test"))

    vocabulary = {}
    for sections, paraphrases in zip(train["sections"], train["paraphrases"]):
        for text in sections + paraphrases:
            for w in words(text):
                vocabulary.setdefault(w, len(vocabulary) + 1)

    def tokens(texts, length=64):
        out = torch.zeros(len(texts), length, dtype=torch.long)
        for i, t in enumerate(texts):
            ids = [vocabulary.get(w, 0) for w in words(t)][:length]
            out[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        return out

    image = SmallCNN() if args.image == "cnn" else TinyEfficientNet(args.efficientnet_width, args.drop_connect)
    text = TextTower(len(vocabulary) + 1, args.text_layers)
    image_projection, text_projection = nn.Linear(image.feature_count, 64), nn.Linear(64, 64)
    logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
    modules = nn.ModuleList([image, text, image_projection, text_projection])
    parameters = list(modules.parameters()) + [logit_scale]
    optimizer = torch.optim.AdamW([{"params": [p for p in parameters if p.ndim >= 2], "weight_decay": 1e-4},
                                   {"params": [p for p in parameters if p.ndim < 2], "weight_decay": 0.0}], lr=args.learning_rate)

    def normalise(x):
        return (x.float()[:, None] / 255 - 0.5) / 0.25

    def encode_images(x):
        return F.normalize(image_projection(image(normalise(x))), dim=1)

    def encode_texts(texts):
        return F.normalize(text_projection(text(tokens(texts))), dim=1)

    def draw_text(i):
        k = rng.randrange(len(train["sections"][i]))
        use_paraphrase = rng.random() < 0.5 and k < len(train["paraphrases"][i])
        return train["paraphrases"][i][k] if use_paraphrase else train["sections"][i][k]

    count, order, start = len(train["sections"]), [], time.time()
    for step in range(args.steps):
        if len(order) < args.batch:
            order += rng.sample(range(count), count)
        batch, order = order[: args.batch], order[args.batch:]
        for group in optimizer.param_groups:
            group["lr"] = args.learning_rate * min(1, (step + 1) / (0.1 * args.steps)) * math.cos(math.pi / 2 * step / args.steps) ** 2
        first = [rng.random() < 0.5 for _ in batch]
        v1 = torch.stack([train["views"]["CC" if f else "MLO"][i] for i, f in zip(batch, first)])
        v2 = torch.stack([train["views"]["MLO" if f else "CC"][i] for i, f in zip(batch, first)])
        labels, s = torch.arange(len(batch)), logit_scale.exp()

        def ce(a, b):
            return F.cross_entropy(s * a @ b.T, labels)

        if args.loss == "clip":
            i1, t1 = encode_images(v1), encode_texts([draw_text(i) for i in batch])
            image_text = loss = (ce(i1, t1) + ce(t1, i1)) / 2
        else:
            images = encode_images(torch.cat([v1, v2]))
            texts = encode_texts([draw_text(i) for i in batch] + [draw_text(i) for i in batch])
            (i1, i2), (t1, t2) = images.chunk(2), texts.chunk(2)
            image_text = sum((ce(a, b) + ce(b, a)) / 2 for a in (i1, i2) for b in (t1, t2)) / 4
            loss = (image_text + args.image_image_weight * (ce(i1, i2) + ce(i2, i1)) / 2
                    + args.text_text_weight * (ce(t1, t2) + ce(t2, t1)) / 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            logit_scale.clamp_(0, math.log(100))
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step}: loss {loss.item():.3f}, image-text {image_text.item():.3f}, {time.time() - start:.0f} s", flush=True)

    modules.eval()
    with torch.no_grad():
        def features(split):
            x = torch.cat([split["views"]["CC"], split["views"]["MLO"]])
            return torch.cat([image(normalise(x[i:i + 64])) for i in range(0, len(x), 64)])

        train_features, test_features = features(train), features(test)
        embeddings = F.normalize(image_projection(test_features), dim=1)
    mean, std = train_features.mean(0), train_features.std(0) + 1e-6
    tower = "cnn" if args.image == "cnn" else f"efficientnet (width {args.efficientnet_width}, drop-connect {args.drop_connect})"
    print(f"{tower} image tower, {args.text_layers}-layer text tower, {args.loss} loss "
          f"(W_ii {args.image_image_weight}, W_tt {args.text_text_weight}), {args.steps} steps of {args.batch}, seed {args.seed}")
    for task, (reference, report_style) in PROMPTS.items():
        unseen = sorted({w for prompt in reference + report_style for w in words(prompt) if w not in vocabulary})
        if unseen:
            # Unknown words map to padding: the prompt is scored without them.
            print(f"{task}: prompt words never seen in the training reports (dropped): {', '.join(unseen)}")
        truth = torch.cat([test["labels"][task][:, 0], test["labels"][task][:, 1]])
        with torch.no_grad():
            zero_shot = [auroc((embeddings @ encode_texts(p).T).softmax(1)[:, 1], truth) for p in (reference, report_style)]
        probe = nn.Linear(train_features.size(1), 1)
        fit = torch.optim.Adam(probe.parameters(), 1e-2)
        target = torch.cat([train["labels"][task][:, 0], train["labels"][task][:, 1]]).float()
        for _ in range(300):
            l = F.binary_cross_entropy_with_logits(probe((train_features - mean) / std)[:, 0], target)
            fit.zero_grad()
            l.backward()
            fit.step()
        with torch.no_grad():
            probed = auroc(probe((test_features - mean) / std)[:, 0], truth)
        print(f"{task}: zero-shot AUROC reference prompts {zero_shot[0]:.3f}, report-style prompts {zero_shot[1]:.3f}, "
              f"linear probe {probed:.3f}")


if __name__ == "__main__":
    main()
