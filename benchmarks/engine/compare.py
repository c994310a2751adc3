"""Engine benchmark: MammoFM (Swift over libtorch) against PyTorch eager on the same workloads, with the
same libtorch version and thread count, in one run. Prints a table of medians and Swift/PyTorch speed
ratios (> 1.0: MammoFM is faster). Run with `make bench`.
"""
import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvNet(nn.Module):
    def __init__(self, width):
        super().__init__()
        layers, channels = [], 3
        for i, out in enumerate([width, 2 * width, 4 * width, 8 * width]):
            layers += [nn.Conv2d(channels, out, 3, 1 if i == 0 else 2, 1, bias=False), nn.BatchNorm2d(out), nn.SiLU()]
            channels = out
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(channels, 10)

    def forward(self, x):
        return self.head(F.adaptive_avg_pool2d(self.body(x), 1).flatten(1))


class BertLayer(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = nn.Linear(width, width), nn.Linear(width, width), nn.Linear(width, width)
        self.output, self.norm1 = nn.Linear(width, width), nn.LayerNorm(width, eps=1e-12)
        self.intermediate, self.down = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)
        self.norm2 = nn.LayerNorm(width, eps=1e-12)

    def forward(self, x, mask):
        b, t, d = x.shape
        def split(z):
            return z.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads) + mask
        context = (F.softmax(scores, -1) @ v).transpose(1, 2).reshape(b, t, d)
        h = self.norm1(x + self.output(context))
        return self.norm2(h + self.down(F.gelu(self.intermediate(h))))


def median_ms(body, iterations):
    for _ in range(3):
        body()
    times = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        body()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return sorted(times)[len(times) // 2]


def pytorch_results(iterations):
    torch.manual_seed(0)
    conv, images = ConvNet(16), torch.randn(8, 3, 64, 64)
    bert, tokens, mask = BertLayer(256, 4), torch.randn(8, 128, 256), torch.zeros(8, 1, 1, 128)
    small = torch.randn(16)

    def conv_step():
        conv.zero_grad()
        conv(images).mean().backward()

    def bert_step():
        bert.zero_grad()
        bert(tokens, mask).mean().backward()

    def small_ops():
        x = small
        for _ in range(1000):
            x = x + 1

    return {
        "convnet_fwd_bwd_8x3x64x64": median_ms(conv_step, iterations),
        "bert_layer_fwd_bwd_8x128x256": median_ms(bert_step, iterations),
        "small_ops_1000_adds_16": median_ms(small_ops, iterations),
    }


def run_side(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {r["name"]: r["median_ms"] for r in map(json.loads, out.splitlines())}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--swift-binary", help="the mammofm-bench executable")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7, help="rounds, each one fresh process per side")
    parser.add_argument("--pytorch-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.pytorch_worker:
        for name, ms in pytorch_results(args.iterations).items():
            print(json.dumps({"name": name, "median_ms": ms, "iterations": args.iterations}))
        return
    if not args.swift_binary:
        parser.error("--swift-binary is required")

    # Each round starts a fresh process per side and swaps which side goes first, so that machine
    # noise (other load, clock changes, a cold start) hits both alike; each figure is the median over
    # rounds of per-round medians.
    common = ["--threads", str(args.threads), "--iterations", str(args.iterations)]
    swift_command = [args.swift_binary] + common
    python_command = [sys.executable, os.path.abspath(__file__), "--pytorch-worker"] + common
    swift_rounds, python_rounds = [], []
    for round_index in range(args.rounds):
        if round_index % 2 == 0:
            swift_rounds.append(run_side(swift_command))
            python_rounds.append(run_side(python_command))
        else:
            python_rounds.append(run_side(python_command))
            swift_rounds.append(run_side(swift_command))

    def middle(rounds, name):
        values = sorted(r[name] for r in rounds)
        return values[len(values) // 2]

    print(f"engine benchmark: libtorch {torch.__version__}, {args.threads} threads, {platform.machine()}, "
          f"median of {args.iterations} iterations, median over {args.rounds} rounds of fresh processes")
    print("ratio = PyTorch time / MammoFM time (> 1: MammoFM faster); 'best' compares the fastest round of each side")
    print(f"{'workload':30} {'MammoFM ms':>11} {'PyTorch ms':>11} {'ratio':>6} {'best ratio':>11}")
    for name in swift_rounds[0]:
        ms, py = middle(swift_rounds, name), middle(python_rounds, name)
        best_swift = min(r[name] for r in swift_rounds)
        best_python = min(r[name] for r in python_rounds)
        print(f"{name:30} {ms:11.2f} {py:11.2f} {py / ms:6.2f} {best_python / best_swift:11.2f}")


if __name__ == "__main__":
    main()
