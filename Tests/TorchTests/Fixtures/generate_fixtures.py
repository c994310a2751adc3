"""Regenerates the engine's parity fixtures with PyTorch (run: make fixtures).

Writes, next to this script:
  ops.safetensors            inputs, outputs, upstream gradients and input gradients of every op case
  training.safetensors       initial weights, data and the 50-step loss curves of a tiny conv net and
                             a tiny transformer block trained with AdamW + warm-up/cos^2 + clipping
  checkpoint.pt              a torch.save archive with nested dicts, an OrderedDict state dict,
                             shared-storage views, several dtypes and an object of an unknown class
  checkpoint_expected.safetensors  every tensor of checkpoint.pt under its dotted path

The Swift tests (OpParityTests, TrainingParityTests, CheckpointTests) define the same cases by name.
"""
import collections
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(1)
gen = torch.Generator().manual_seed(1234)


def randn(*shape, dtype=torch.float32):
    return torch.randn(*shape, generator=gen, dtype=dtype)


def rand(*shape):
    return torch.rand(*shape, generator=gen)


# name -> (inputs, function, indices of inputs that get gradients)
CASES = {}


def case(name, inputs, fn, grads=()):
    CASES[name] = (inputs, fn, tuple(grads))


# ---- creation and random generation (the same generator algorithm as libtorch) ----
case("create.arange", [], lambda: torch.arange(0, 5, 0.5))
case("create.linspace", [], lambda: torch.linspace(-1, 1, 7))
case("create.eye", [], lambda: torch.eye(4))
case("create.full", [], lambda: torch.full((2, 3), 2.5))


def seeded(fn):
    def run(*xs):
        torch.manual_seed(42)
        return fn(*xs)
    return run


case("random.randn", [], seeded(lambda: torch.randn(3, 4)))
case("random.rand", [], seeded(lambda: torch.rand(5)))
case("random.randperm", [], seeded(lambda: torch.randperm(10)))
case("random.randint", [], seeded(lambda: torch.randint(0, 7, (6,))))
case("random.dropout", [torch.ones(4, 5)], seeded(lambda x: F.dropout(x, 0.3, True)))

# ---- dtypes ----
mixed = randn(3, 4) * 300
case("dtype.float_conversions", [mixed], lambda x: (x.half().float(), x.bfloat16().float(), x.double(), x.half().double()), [0])
case("dtype.integer_conversions", [mixed],
     lambda x: (x.to(torch.int64), x.to(torch.int32), x.abs().clamp(max=255).to(torch.uint8), x.clamp(-120, 120).to(torch.int8).to(torch.int64), x.to(torch.bool)))

# ---- shape ----
a = randn(2, 3, 4)
case("shape.reshape", [a], lambda x: x.reshape(4, 6), [0])
case("shape.permute", [a], lambda x: x.permute(2, 0, 1).contiguous(), [0])
case("shape.transpose", [a], lambda x: x.transpose(0, 2), [0])
case("shape.cat", [a, randn(2, 2, 4)], lambda x, y: torch.cat([x, y], 1), [0, 1])
case("shape.stack", [randn(3, 2), randn(3, 2)], lambda x, y: torch.stack([x, y], 1), [0, 1])
case("shape.split", [a], lambda x: torch.split(x, [1, 2], 1), [0])
case("shape.chunk", [randn(7, 2)], lambda x: torch.chunk(x, 3, 0), [0])
case("shape.narrow", [a], lambda x: x.narrow(2, 1, 2), [0])
case("shape.slice", [randn(10, 3)], lambda x: x[1:9:3], [0])
case("shape.index_select", [a, torch.tensor([2, 0, 2])], lambda x, i: x.index_select(1, i), [0])
case("shape.gather", [randn(3, 4), torch.tensor([[0, 3], [1, 1], [2, 0]])], lambda x, i: x.gather(1, i), [0])
case("shape.scatter", [randn(3, 5), torch.tensor([[0, 4], [1, 2], [3, 0]]), randn(3, 2)],
     lambda x, i, s: x.scatter(1, i, s), [0, 2])
case("shape.scatter_add", [randn(3, 5), torch.tensor([[0, 0], [1, 2], [3, 3]]), randn(3, 2)],
     lambda x, i, s: x.scatter_add(1, i, s), [0, 2])
case("shape.expand", [randn(3, 1)], lambda x: x.expand(3, 4), [0])
case("shape.repeat", [randn(2, 3)], lambda x: x.repeat(2, 1, 2), [0])
case("shape.squeeze_unsqueeze", [randn(2, 1, 3)], lambda x: x.squeeze(1).unsqueeze(0), [0])
case("shape.flatten", [a], lambda x: x.flatten(1), [0])
case("shape.flip", [a], lambda x: x.flip([0, 2]), [0])
case("shape.roll", [randn(3, 4)], lambda x: x.roll([1, -1], [0, 1]), [0])
img = randn(1, 2, 4, 5)
case("shape.pad_constant", [img], lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), [0])
case("shape.pad_reflect", [img], lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect"), [0])
case("shape.pad_replicate", [img], lambda x: F.pad(x, (2, 1, 1, 2), mode="replicate"), [0])
case("shape.pad_circular", [img], lambda x: F.pad(x, (2, 1, 1, 2), mode="circular"), [0])
case("shape.tril", [randn(4, 4)], lambda x: torch.tril(x, -1), [0])
case("shape.triu", [randn(4, 4)], lambda x: torch.triu(x, 1), [0])
case("shape.masked_select", [randn(3, 4), rand(3, 4) > 0.5], lambda x, m: x.masked_select(m), [0])

# ---- elementwise ----
pos = rand(3, 4) + 0.1
anyv = randn(3, 4) * 2
for name, fn, x in [
    ("neg", torch.neg, anyv), ("abs", torch.abs, anyv), ("exp", torch.exp, anyv), ("log", torch.log, pos),
    ("log1p", torch.log1p, pos), ("expm1", torch.expm1, anyv), ("sqrt", torch.sqrt, pos),
    ("rsqrt", torch.rsqrt, pos), ("sin", torch.sin, anyv), ("cos", torch.cos, anyv), ("tanh", torch.tanh, anyv),
    ("sigmoid", torch.sigmoid, anyv), ("relu", torch.relu, anyv), ("relu6", F.relu6, anyv * 4),
    ("silu", F.silu, anyv), ("gelu", F.gelu, anyv), ("gelu_tanh", lambda t: F.gelu(t, approximate="tanh"), anyv),
    ("floor", torch.floor, anyv), ("ceil", torch.ceil, anyv), ("round", torch.round, anyv),
    ("sign", torch.sign, anyv), ("reciprocal", torch.reciprocal, pos), ("erf", torch.erf, anyv),
    ("square", torch.square, anyv), ("softplus", F.softplus, anyv), ("log_sigmoid", F.logsigmoid, anyv),
    ("log2", torch.log2, pos), ("trunc", torch.trunc, anyv),
]:
    smooth = name not in ("floor", "ceil", "round", "sign", "trunc")
    case("unary." + name, [x], fn, [0] if smooth else [])

b1, b2 = randn(3, 4), randn(1, 4)
for name, fn in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div),
                 ("maximum", torch.maximum), ("minimum", torch.minimum), ("atan2", torch.atan2)]:
    case("binary." + name, [b1, b2], fn, [0, 1])
case("binary.pow", [pos, randn(1, 4)], torch.pow, [0, 1])
case("binary.remainder", [anyv, torch.full((1, 4), 0.7)], torch.remainder, [0])
case("binary.floor_divide", [anyv, torch.full((1, 4), 0.7)], lambda x, y: torch.div(x, y, rounding_mode="floor"))
for name, fn in [("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le), ("gt", torch.gt), ("ge", torch.ge)]:
    case("compare." + name, [torch.round(b1), torch.round(b2)], fn)
case("logical.and_or_xor_not", [rand(3, 4) > 0.5, rand(3, 4) > 0.5],
     lambda x, y: (torch.logical_and(x, y), torch.logical_or(x, y), torch.logical_xor(x, y), torch.logical_not(x)))
case("scalar.ops", [anyv], lambda x: (x + 2, x - 1.5, x * 3, x / 4, 2 - x, 3 / (x.abs() + 1), x ** 2, 2 ** x), [0])
case("scalar.int_tensor", [torch.arange(6)], lambda x: (x + 2, x * 3, x / 2))
case("elementwise.clamp", [anyv], lambda x: (x.clamp(-1, 1), x.clamp(min=0.5), x.clamp(max=-0.5)), [0])
case("elementwise.where", [b1 > 0, b1, b2], torch.where, [1, 2])
case("elementwise.masked_fill", [b1, b1 > 0.3], lambda x, m: x.masked_fill(m, -2.0), [0])
case("elementwise.lerp", [b1, b2.expand(3, 4).contiguous()], lambda x, y: torch.lerp(x, y, 0.3), [0, 1])

# ---- reductions ----
r = randn(3, 4, 5)
case("reduce.sum", [r], lambda x: (x.sum(), x.sum(1), x.sum((0, 2), keepdim=True)), [0])
case("reduce.mean", [r], lambda x: (x.mean(), x.mean(-1), x.mean((0, 1), keepdim=True)), [0])
case("reduce.amax_amin", [r], lambda x: (x.amax(1), x.amin((0, 2)), x.max(), x.min()), [0])
case("reduce.max_dim", [r], lambda x: tuple(torch.max(x, 1)) + tuple(torch.min(x, 2, keepdim=True)), [0])
case("reduce.argmax", [r], lambda x: (x.argmax(), x.argmax(2), x.argmin(1, keepdim=True)))
case("reduce.std_var", [r], lambda x: (x.std(), x.std(1), x.var(2, unbiased=False), x.var((0, 1), keepdim=True)), [0])
case("reduce.norm", [r], lambda x: (torch.linalg.vector_norm(x), torch.linalg.vector_norm(x, 1, dim=1),
                                     torch.linalg.vector_norm(x, float("inf"), dim=(0, 2))), [0])
case("reduce.logsumexp", [r], lambda x: (x.logsumexp(1), x.logsumexp((0, 2), keepdim=True)), [0])
case("reduce.prod_cumsum", [rand(3, 4) + 0.5], lambda x: (x.prod(), x.prod(1), x.cumsum(1)), [0])
case("reduce.any_all", [rand(3, 4) > 0.3], lambda x: (x.any(), x.all(1)))
case("reduce.topk", [r], lambda x: tuple(torch.topk(x, 2, dim=1)) + tuple(torch.topk(x, 3, largest=False)), [0])
case("reduce.sort", [r], lambda x: tuple(torch.sort(x, dim=1, descending=True)) + (torch.argsort(x, -1),), [0])

# ---- linear algebra ----
case("linalg.matmul", [randn(2, 3, 4), randn(4, 5)], torch.matmul, [0, 1])
case("linalg.bmm", [randn(2, 3, 4), randn(2, 4, 2)], torch.bmm, [0, 1])
case("linalg.linear", [randn(5, 4), randn(3, 4), randn(3)], F.linear, [0, 1, 2])
case("linalg.outer", [randn(3), randn(4)], torch.outer, [0, 1])

# ---- neural-network functions ----
x4 = randn(2, 4, 9, 8)
case("nn.conv2d", [x4, randn(6, 2, 3, 3), randn(6)],
     lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=2, groups=2), [0, 1, 2])
case("nn.conv2d_depthwise", [x4, randn(4, 1, 5, 5)], lambda x, w: F.conv2d(x, w, None, 1, 2, 1, 4), [0, 1])
case("nn.conv2d_asymmetric", [x4, randn(3, 4, 3, 1), randn(3)],
     lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0)), [0, 1, 2])
case("nn.conv_transpose2d", [randn(1, 4, 5, 5), randn(4, 3, 3, 3), randn(3)],
     lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), [0, 1, 2])
case("nn.max_pool2d", [x4], lambda x: (F.max_pool2d(x, 3, 2, 1), F.max_pool2d(x, 2, ceil_mode=True)), [0])
case("nn.avg_pool2d", [x4], lambda x: (F.avg_pool2d(x, 3, 2, 1), F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
                                       F.avg_pool2d(x, 2, ceil_mode=True)), [0])
case("nn.adaptive_pool2d", [x4], lambda x: (F.adaptive_avg_pool2d(x, (4, 3)), F.adaptive_max_pool2d(x, (2, 5))), [0])


def batch_norm_train(x, w, b, rm, rv):
    rm, rv = rm.clone(), rv.clone()
    y = F.batch_norm(x, rm, rv, w, b, True, 0.1, 1e-5)
    return y, rm, rv


case("nn.batch_norm_train", [x4, rand(4) + 0.5, randn(4), randn(4), rand(4) + 0.5], batch_norm_train, [0, 1, 2])
case("nn.batch_norm_eval", [x4, rand(4) + 0.5, randn(4), randn(4), rand(4) + 0.5],
     lambda x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, False, 0.01, 1e-3), [0, 1, 2])
case("nn.layer_norm", [randn(2, 3, 8), rand(8) + 0.5, randn(8)], lambda x, w, b: F.layer_norm(x, (8,), w, b, 1e-12), [0, 1, 2])
case("nn.group_norm", [x4, rand(4) + 0.5, randn(4)], lambda x, w, b: F.group_norm(x, 2, w, b, 1e-5), [0, 1, 2])
case("nn.embedding", [randn(10, 4), torch.tensor([[1, 0, 3], [9, 0, 1]])],
     lambda w, i: F.embedding(i, w, padding_idx=0), [0])
case("nn.softmax", [randn(3, 5)], lambda x: (F.softmax(x, 1), F.log_softmax(x, 0)), [0])
case("nn.one_hot", [torch.tensor([0, 3, 1])], lambda x: F.one_hot(x, 5))
case("nn.normalize", [randn(4, 6)], lambda x: F.normalize(x, dim=-1), [0])

# ---- losses ----
logits, classes = randn(6, 4), torch.tensor([0, 3, 1, 1, 2, 0])
case("loss.cross_entropy", [logits, classes, rand(4) + 0.5],
     lambda x, t, w: (F.cross_entropy(x, t), F.cross_entropy(x, t, weight=w), F.cross_entropy(x, t, label_smoothing=0.1),
                      F.cross_entropy(x, t, weight=w, label_smoothing=0.2), F.cross_entropy(x, t, reduction="none"),
                      F.cross_entropy(x, t, reduction="sum"), F.cross_entropy(x, torch.tensor([0, -100, 1, 1, -100, 0]))),
     [0])
case("loss.cross_entropy_probabilities", [logits, F.softmax(randn(6, 4), 1)], lambda x, p: F.cross_entropy(x, p), [0, 1])
case("loss.bce_with_logits", [randn(5, 3), (rand(5, 3) > 0.5).float(), rand(3) * 20 + 1, rand(5, 3)],
     lambda x, y, pw, w: (F.binary_cross_entropy_with_logits(x, y), F.binary_cross_entropy_with_logits(x, y, pos_weight=pw),
                          F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw, reduction="sum")), [0])
case("loss.smooth_l1", [randn(4, 4), randn(4, 4)],
     lambda x, y: (F.smooth_l1_loss(x, y, beta=1.0 / 9), F.smooth_l1_loss(x, y, reduction="none")), [0, 1])
case("loss.mse_l1", [randn(4, 4), randn(4, 4)], lambda x, y: (F.mse_loss(x, y), F.l1_loss(x, y, reduction="sum")), [0, 1])

# ---- resampling ----
small = randn(1, 2, 5, 6)
case("resample.nearest", [small], lambda x: F.interpolate(x, size=(8, 9), mode="nearest"), [0])
case("resample.bilinear", [small], lambda x: (F.interpolate(x, size=(8, 9), mode="bilinear", align_corners=False),
                                              F.interpolate(x, size=(3, 4), mode="bilinear", align_corners=True)), [0])
case("resample.bicubic", [small], lambda x: F.interpolate(x, size=(7, 11), mode="bicubic", align_corners=False), [0])
case("resample.area", [randn(1, 2, 10, 9)], lambda x: F.interpolate(x, size=(4, 3), mode="area"), [0])
theta = torch.tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.05]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
case("resample.affine_grid", [theta], lambda t: F.affine_grid(t, [2, 3, 4, 5], align_corners=False), [0])
grid = rand(2, 4, 5, 2) * 2.4 - 1.2
case("resample.grid_sample", [randn(2, 3, 6, 7), grid],
     lambda x, g: (F.grid_sample(x, g, "bilinear", "zeros", False), F.grid_sample(x, g, "nearest", "border", True),
                   F.grid_sample(x, g, "bicubic", "reflection", False)), [0, 1])

# ---- FFT ----
sig = randn(2, 6, 7)
case("fft.rfft2", [sig], lambda x: (lambda c: torch.stack([c.real, c.imag], -1))(torch.fft.rfft2(x)), [0])
case("fft.rfft2_ortho", [sig], lambda x: (lambda c: torch.stack([c.real, c.imag], -1))(torch.fft.rfft2(x, norm="ortho")), [0])
case("fft.irfft2_roundtrip", [sig], lambda x: torch.fft.irfft2(torch.fft.rfft2(x), s=(6, 7)), [0])


def build_ops():
    out = {}
    for name, (inputs, fn, grads) in CASES.items():
        inputs = [t.clone() for t in inputs]
        for i, t in enumerate(inputs):
            out[f"{name}.in{i}"] = t.clone()
            if i in grads:
                t.requires_grad_(True)
        result = fn(*inputs)
        results = list(result) if isinstance(result, (tuple, list)) else [result]
        loss = 0
        for j, r in enumerate(results):
            out[f"{name}.out{j}"] = r.detach().clone().contiguous()
            if grads and r.is_floating_point() and r.requires_grad:
                up = torch.randn(r.shape, generator=gen)
                out[f"{name}.upstream{j}"] = up
                loss = loss + (r * up).sum()
        if grads:
            loss.backward()
            for i in grads:
                out[f"{name}.grad{i}"] = inputs[i].grad.clone()
    save_file(out, os.path.join(HERE, "ops.safetensors"))
    print(f"ops.safetensors: {len(CASES)} cases, {len(out)} tensors")


# ---- training parity ----
class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.SiLU(),
                                      nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.SiLU())
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        return self.head(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


class Block(nn.Module):
    """A pre-norm transformer block with masked multi-head attention and an exact-GELU MLP."""

    def __init__(self, width=16, heads=2):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.query, self.key, self.value = nn.Linear(width, width), nn.Linear(width, width), nn.Linear(width, width)
        self.out = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.fc1, self.fc2 = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)
        self.head = nn.Linear(width, 3)

    def forward(self, x, mask):
        b, t, d = x.shape
        h = self.ln1(x)
        def split(z):
            return z.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.query(h)), split(self.key(h)), split(self.value(h))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        scores = scores.masked_fill(~mask.view(b, 1, 1, t), -1e4)
        attended = (F.softmax(scores, -1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.out(attended)
        x = x + self.fc2(F.gelu(self.fc1(self.ln2(x))))
        pooled = (x * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
        return self.head(pooled)


def cos2_factor(step, warmup, total):
    if step < warmup:
        return step / warmup
    p = min(max((step - warmup) / max(total - warmup, 1), 0.0), 1.0)
    return math.cos(math.pi / 2 * p) ** 2


def train(model, batches, forward, steps=50):
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 1e-2}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-3, foreach=False)
    losses = []
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = 3e-3 * cos2_factor(step, 5, steps)
        loss = forward(model, batches[step % len(batches)])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    return torch.tensor(losses, dtype=torch.float64)


def build_training():
    out = {}
    torch.manual_seed(7)
    conv = ConvNet()
    for k, v in conv.state_dict().items():
        out[f"conv.init.{k}"] = v.clone()
    conv_batches = []
    for i in range(4):
        x, y = randn(8, 3, 12, 12), torch.randint(0, 4, (8,), generator=gen)
        out[f"conv.data.{i}.x"], out[f"conv.data.{i}.y"] = x, y
        conv_batches.append((x, y))
    out["conv.losses"] = train(conv, conv_batches, lambda m, b: F.cross_entropy(m(b[0]), b[1]))

    block = Block()
    for k, v in block.state_dict().items():
        out[f"block.init.{k}"] = v.clone()
    block_batches = []
    for i in range(4):
        x, y = randn(4, 6, 16), torch.randint(0, 3, (4,), generator=gen)
        mask = torch.ones(4, 6, dtype=torch.bool)
        mask[1, 4:] = False
        mask[3, 2:] = False
        out[f"block.data.{i}.x"], out[f"block.data.{i}.y"], out[f"block.data.{i}.mask"] = x, y, mask
        block_batches.append((x, y, mask))
    out["block.losses"] = train(block, block_batches, lambda m, b: F.cross_entropy(m(b[0], b[2]), b[1]))
    save_file(out, os.path.join(HERE, "training.safetensors"))
    print("training.safetensors: conv losses", out["conv.losses"][[0, -1]].tolist(),
          "block losses", out["block.losses"][[0, -1]].tolist())


# ---- torch.save checkpoint ----
class UnknownThing:
    """A class the Swift reader has never heard of: it must come back as an opaque object."""

    def __init__(self):
        self.note = "opaque"
        self.values = [1, 2, 3]


def build_checkpoint():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2, 2))
    opt = torch.optim.AdamW(model.parameters(), lr=5e-5)
    model(torch.randn(2, 1, 3, 3)).sum().backward()
    opt.step()
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    checkpoint = {
        "model": model.state_dict(),
        "config": {"name": "tiny", "lr": 5e-5, "layers": [1, 2, 3], "nested": {"flag": True, "none": None},
                   "tuple": (1, "two", 3.0)},
        "epoch": 3,
        "big": 2 ** 70,
        "negative": -123456789012,
        "optimizer": opt.state_dict(),
        "extra": UnknownThing(),
        "views": [base, base[1:], base.t()],
        "dtypes": {"fp16": torch.randn(3).half(), "bf16": torch.randn(3).bfloat16(), "bool": torch.tensor([True, False]),
                   "int64": torch.tensor([-5, 7], dtype=torch.int64), "uint8": torch.tensor([0, 255], dtype=torch.uint8),
                   "fp64": torch.randn(2, dtype=torch.float64), "scalar": torch.tensor(2.5)},
    }
    assert isinstance(checkpoint["model"], collections.OrderedDict)
    torch.save(checkpoint, os.path.join(HERE, "checkpoint.pt"))

    expected = {}
    def walk(value, path):
        if isinstance(value, torch.Tensor):
            expected[path] = value.detach().clone().contiguous()
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(v, f"{path}.{i}" if path else str(i))
    walk(checkpoint, "")
    save_file(expected, os.path.join(HERE, "checkpoint_expected.safetensors"))
    print(f"checkpoint.pt: {len(expected)} tensors")


if __name__ == "__main__":
    print("torch", torch.__version__, file=sys.stderr)
    build_ops()
    build_training()
    build_checkpoint()
