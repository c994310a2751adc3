"""Pretraining step benchmark: one optimiser step of the dual encoder (two views and two texts per
sample through EfficientNet + BERT, the Mammo-CLIP loss, backward, AdamW with the decay split),
MammoFM against the same step in PyTorch eager (efficientnet_pytorch + transformers), same libtorch
and thread count, each side in a fresh process. Workloads: the tiny configuration (batch 16 at
256 x 160, 64 tokens; in float32 and with the forward under bfloat16 autocast) and B5 + BERT-base at 1520 x 912 with 256 tokens (batch 1 by default; b2 if
memory allows). `tiny_b16_ddp2` is the tiny step data-parallel on two processes of 8 breasts each
(half the threads each): MammoFM's embedding exchange and gradient average over a Gloo process group
against PyTorch's DistributedDataParallel with the gather-with-gradient local loss (open_clip's
`gather_with_grad`, `local_loss`), both Gloo. Run with `make bench-pretrain`.
"""
import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

WORKLOADS = ["tiny_b16", "tiny_b16_bf16", "tiny_b16_ddp2", "b5_bertbase_b1"]
# Data-parallel workloads: one process per rank.
RANKS = {"tiny_b16_ddp2": 2}


class DualEncoder(torch.nn.Module):
    def __init__(self, image, image_dim, text, text_dim, dim, pooling_eos=True):
        super().__init__()
        self.image, self.text = image, text
        self.image_projection = torch.nn.Linear(image_dim, dim)
        self.text_projection = torch.nn.Linear(text_dim, dim)
        self.logit_scale = torch.nn.Parameter(torch.tensor(2.659260036932778))

    def encode_image(self, x):
        features = self.image._avg_pooling(self.image.extract_features(x)).flatten(1)
        return F.normalize(self.image_projection(features), dim=1)

    def encode_text(self, ids, mask):
        states = self.text(input_ids=ids, attention_mask=mask).last_hidden_state
        last = mask.sum(1) - 1
        return F.normalize(self.text_projection(states[torch.arange(ids.shape[0]), last]), dim=1)

    def forward(self, views, texts, mask):
        # DistributedDataParallel synchronises gradients of what goes through forward().
        return (self.encode_image(views[0]), self.encode_image(views[1]), self.encode_text(texts[0], mask),
                self.encode_text(texts[1], mask), self.logit_scale)


def contrastive(i1, i2, t1, t2, scale, rank=0, gather=lambda x: x):
    labels = torch.arange(i1.shape[0]) + rank * i1.shape[0]
    s = scale.exp()

    def ce(a, b):
        return F.cross_entropy(s * a @ gather(b).T, labels)

    i2t = (ce(i1, t1) + ce(i2, t1) + ce(i1, t2) + ce(i2, t2)) / 4
    t2i = (ce(t1, i1) + ce(t1, i2) + ce(t2, i1) + ce(t2, i2)) / 4
    return (i2t + t2i) / 2 + (ce(i1, i2) + ce(i2, i1)) / 2 + 0.5 * (ce(t2, t1) + ce(t1, t2)) / 2


def worker(name, iterations):
    from efficientnet_pytorch import EfficientNet
    from transformers import BertConfig, BertModel
    ranks = RANKS.get(name, 1)
    rank, gather = 0, (lambda x: x)
    if ranks > 1:
        import torch.distributed as dist
        import torch.distributed.nn.functional as dist_nn
        dist.init_process_group("gloo", rank=int(os.environ["RANK"]), world_size=ranks)
        rank = dist.get_rank()

        def gather(x):
            return torch.cat(dist_nn.all_gather(x), dim=0)
    torch.manual_seed(1)
    if name.startswith("tiny_b16"):
        from efficientnet_pytorch.utils import efficientnet
        blocks, params = efficientnet(width_coefficient=0.25, depth_coefficient=0.34, image_size=256, dropout_rate=0.2,
                                      drop_connect_rate=0.2, include_top=False)
        image = EfficientNet(blocks, params)
        text = BertModel(BertConfig(vocab_size=2000, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                                    intermediate_size=128, max_position_embeddings=128),
                         add_pooling_layer=ranks == 1)  # unused: DistributedDataParallel refuses parameters without gradients
        model = DualEncoder(image, image._conv_head.out_channels, text, 64, 64)
        n, h, w, length, vocab = 16 // ranks, 256, 160, 64, 2000
    else:
        image = EfficientNet.from_name("efficientnet-b5")
        text = BertModel(BertConfig(vocab_size=28996))
        model = DualEncoder(image, 2048, text, 768, 512)
        n, h, w, length, vocab = (2 if name.endswith("b2") else 1), 1520, 912, 256, 28996
    model.train()
    net = torch.nn.parallel.DistributedDataParallel(model) if ranks > 1 else model
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 1e-4}, {"params": no_decay, "weight_decay": 0.0}], lr=5e-5)
    torch.manual_seed(7 + rank)
    views = [torch.randn(n, 3, h, w) for _ in range(2)]
    texts = [torch.randint(1000, vocab, (n, length)) for _ in range(2)]
    mask = torch.ones(n, length, dtype=torch.long)

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=name.endswith("_bf16")):
            loss = contrastive(*net(views, texts, mask), rank=rank, gather=gather)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()

    step()
    times = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        loss = step()
        times.append((time.perf_counter_ns() - start) / 1e6)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if rank > 0:
        return
    print(json.dumps({"name": name, "median_ms": sorted(times)[len(times) // 2], "iterations": iterations, "peak_rss_mb": peak, "loss": loss}))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--swift-binary", help="the mammofm-train-bench executable")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.worker:
        worker(args.worker, args.iterations)
        return

    def run(command, name):
        """The JSON line of `command`, started once per rank for data-parallel workloads (rank 0 prints)."""
        ranks = RANKS.get(name, 1)
        if ranks == 1:
            return json.loads(subprocess.run(command + common, check=True, capture_output=True, text=True).stdout)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        per_rank = ["--threads", str(max(1, args.threads // ranks)), "--iterations", str(args.iterations)]
        processes = [subprocess.Popen(command + per_rank, stdout=subprocess.PIPE, text=True,
                                      env={**os.environ, "RANK": str(r), "WORLD_SIZE": str(ranks), "MASTER_ADDR": "127.0.0.1",
                                           "MASTER_PORT": str(port)}) for r in range(ranks)]
        outputs = [p.communicate()[0] for p in processes]
        if any(p.returncode != 0 for p in processes):
            raise SystemExit(f"{name}: a rank failed: {[p.returncode for p in processes]}")
        return json.loads(outputs[0])
    if not args.swift_binary:
        parser.error("--swift-binary is required")
    common = ["--threads", str(args.threads), "--iterations", str(args.iterations)]
    rows = []
    for name in args.workloads.split(","):
        # Alternate which side runs first per workload, fresh processes each time.
        swift = run([args.swift_binary, "--workload", name], name)
        python = run([sys.executable, __file__, "--worker", name], name)
        rows.append((name, swift, python))
        print(f"done {name}", file=sys.stderr)
    print(f"pretraining step benchmark: libtorch {torch.__version__}, {args.threads} threads, median of {args.iterations} steps after "
          "one warm-up, fresh process per workload and side (ddp2: two processes of half the threads, rank 0's figures); "
          "ratio = PyTorch time / MammoFM time")
    print(f"{'workload':16} {'MammoFM ms':>11} {'PyTorch ms':>11} {'ratio':>6} {'MammoFM MB':>11} {'PyTorch MB':>11}")
    for name, s, p in rows:
        print(f"{name:16} {s['median_ms']:11.1f} {p['median_ms']:11.1f} {p['median_ms'] / s['median_ms']:6.2f} "
              f"{s['peak_rss_mb']:11.0f} {p['peak_rss_mb']:11.0f}")


if __name__ == "__main__":
    main()
