"""Full-size model benchmark and parity check: the B5 image tower at 1520 x 912 (batch 1 and 4) and the
BERT-base text tower (8 x 256, half the batch padded), inference, MammoFM against the reference
implementations (efficientnet_pytorch, transformers) in PyTorch eager, same libtorch and thread count;
with --workloads retinanet_b5_512_train,retinanet_b5_512_detect (make bench-detection) the reference's
B5 RetinaNet at 512 x 512 (the `mammoclip` wheel's code): one training step (loss on one box, backward,
clipping, Adam) and inference with NMS.
Each workload runs in a fresh process per side; both sides use the same reproducible weights and inputs,
so the outputs are compared too (max abs diff). Run with `make bench-models` (several minutes).
"""
import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time

import torch
from safetensors.torch import load_file

WORKLOADS = ["b5_1520x912_b1", "b5_1520x912_b4", "bert_base_8x256"]
DETECTION_WORKLOADS = ["retinanet_b5_512_train", "retinanet_b5_512_detect"]


def reference_retinanet():
    """The reference's one-class B5 RetinaNet with the reproducible weights (its unused _fc removed)."""
    import importlib.util
    sys.path.insert(0, importlib.util.find_spec("codebase").submodule_search_locations[0])
    from Detectors.retinanet.detector_model import RetinaNet
    from Detectors.retinanet.efficient_net import EfficientNet as DetectorEfficientNet
    backbone = DetectorEfficientNet.from_name("efficientnet-b5")
    backbone._fc = torch.nn.Identity()
    backbone.source_layer_indexes = [26, 37]
    model = RetinaNet(1, backbone, [176, 512, 2048])
    deterministic_weights(model)
    return model


def measure(name, run, iterations, dump, device):
    """Times `run` (median of `iterations` after one warm-up whose output is kept for the parity check)
    and prints the workload's JSON line. On a GPU a timing ends when the device has finished, as
    MammoFM's does (it reads one value back)."""
    sync = (lambda: torch.cuda.synchronize()) if device.startswith("cuda") else (lambda: None)
    first = run()
    sync()
    times = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        run()
        sync()
        times.append((time.perf_counter_ns() - start) / 1e6)
    if dump:
        torch.save(first.clone().cpu(), dump)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"name": name, "median_ms": sorted(times)[len(times) // 2], "iterations": iterations, "peak_rss_mb": peak}))


def detection_worker(name, iterations, dump, device):
    model = reference_retinanet().to(device)
    torch.manual_seed(7)
    images = torch.randn(1, 3, 512, 512).to(device)
    if name.endswith("train"):
        model.train()
        model.freeze_bn()  # batch norm frozen, as MammoFM trains (the reference's train() would unfreeze it)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-5)
        annotations = torch.tensor([[[180.0, 200.0, 260.0, 290.0, 0.0]]]).to(device)

        def run():
            optimizer.zero_grad()
            c, r = model([images, annotations])
            (c.mean() + r.mean()).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            return torch.stack([c.detach().mean(), r.detach().mean()])
    else:
        model.eval()

        def run():
            with torch.inference_mode():
                scores, _, _ = model(images)
                scores = scores[scores > 0.05]
                return torch.cat([torch.sort(scores, descending=True)[0][:100].cpu(), torch.zeros(1)])
    measure(name, run, iterations, dump, device)


def deterministic_weights(module, seed=1000):
    """The reproducible-weights rule of the parity fixtures (and of MammoFM's fillWithReproducibleWeights)."""
    import importlib.util
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../Tests/MammoModelsTests/Fixtures/generate_fixtures.py")
    spec = importlib.util.spec_from_file_location("model_fixtures", script)
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    fixtures.deterministic_weights(module, seed)


def worker(name, iterations, dump, device="cpu"):
    if name.startswith("retinanet"):
        return detection_worker(name, iterations, dump, device)
    if name.startswith("b5"):
        from efficientnet_pytorch import EfficientNet
        # The Mammo-CLIP image tower: features, average pooling (the unused _fc sorts last, so the
        # reproducible weights of every other key are the same as MammoFM's).
        model = EfficientNet.from_name("efficientnet-b5")
        deterministic_weights(model)
        model.eval().to(device)
        torch.manual_seed(7)
        images = torch.randn(4 if name.endswith("b4") else 1, 3, 1520, 912).to(device)
        run = lambda: model._avg_pooling(model.extract_features(images)).flatten(1)
    else:
        from transformers import BertConfig, BertModel
        model = BertModel(BertConfig(vocab_size=28996))
        deterministic_weights(model)
        model.eval().to(device)
        torch.manual_seed(7)
        ids = torch.randint(1000, 28996, (8, 256))
        mask = torch.ones(8, 256, dtype=torch.long)
        mask[4:, 200:] = 0
        ids, mask = ids.to(device), mask.to(device)
        run = lambda: model(input_ids=ids, attention_mask=mask).last_hidden_state
    with torch.inference_mode():
        measure(name, run, iterations, dump, device)


def last_json_line(output):
    """A worker's result: its last JSON line (the reference's code prints its configuration to stdout first)."""
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--swift-binary", help="the mammofm-model-bench executable")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (both sides)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.worker:
        worker(args.worker, args.iterations, args.dump, args.device)
        return
    if not args.swift_binary:
        parser.error("--swift-binary is required")
    common = ["--threads", str(args.threads), "--iterations", str(args.iterations), "--device", args.device]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.workloads.split(","):
            swift_dump, python_dump = os.path.join(folder, name + ".safetensors"), os.path.join(folder, name + ".pt")
            swift = last_json_line(subprocess.run([args.swift_binary, "--workload", name, "--dump", swift_dump] + common,
                                                  check=True, capture_output=True, text=True).stdout)
            python = last_json_line(subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", name, "--dump", python_dump]
                                                   + common, check=True, capture_output=True, text=True).stdout)
            a, b = load_file(swift_dump)["output"], torch.load(python_dump)
            difference = (a.double() - b.double()).abs().max().item() if a.shape == b.shape else float("inf")
            rows.append((name, swift, python, difference))
            print(f"done {name}", file=sys.stderr)
    print(f"model benchmark: libtorch {torch.__version__} on {args.device}, {args.threads} threads, median of {args.iterations} after one warm-up, "
          "fresh process per workload and side; ratio = PyTorch time / MammoFM time")
    print(f"{'workload':24} {'MammoFM ms':>11} {'PyTorch ms':>11} {'ratio':>6} {'MammoFM MB':>11} {'PyTorch MB':>11} {'max abs diff':>13}")
    for name, s, p, d in rows:
        print(f"{name:24} {s['median_ms']:11.1f} {p['median_ms']:11.1f} {p['median_ms'] / s['median_ms']:6.2f} "
              f"{s['peak_rss_mb']:11.0f} {p['peak_rss_mb']:11.0f} {d:13.3g}")


if __name__ == "__main__":
    main()
