"""Reference values for the Mammo-CLIP contrastive loss (run: make fixtures).

Written from the loss as the reference defines it (reference-behaviour.md section 3): four image-text
pairings averaged per direction, the two directions averaged, plus weighted view-view and text-text
terms, one learned scale exp(logit_scale), labels on the diagonal offset by rank x batch when the
embeddings of all ranks are gathered. Inputs, losses and gradients go to loss.safetensors.
"""
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def mammoclip_loss(i1, i2, t1, t2, logit_scale, ii_weight, tt_weight, smoothing, rank=0, others=None):
    """`others`: the other rank's (i1, i2, t1, t2), concatenated before (rank 1) the local ones."""
    batch = i1.shape[0]
    labels = torch.arange(batch) + rank * batch

    def gathered(local, k):
        return torch.cat([others[k], local]) if others is not None else local

    a1, a2, b1, b2 = gathered(i1, 0), gathered(i2, 1), gathered(t1, 2), gathered(t2, 3)
    s = logit_scale.exp()

    def ce(x, y, ls=0.0):
        return F.cross_entropy(s * x @ y.T, labels, label_smoothing=ls)

    i2t = (ce(i1, b1, smoothing) + ce(i2, b1, smoothing) + ce(i1, b2, smoothing) + ce(i2, b2, smoothing)) / 4
    t2i = (ce(t1, a1, smoothing) + ce(t1, a2, smoothing) + ce(t2, a1, smoothing) + ce(t2, a2, smoothing)) / 4
    ii = (ce(i1, a2) + ce(i2, a1)) / 2
    tt = (ce(t2, b1) + ce(t1, b2)) / 2
    return (i2t + t2i) / 2 + ii_weight * ii + tt_weight * tt, i2t, t2i, ii, tt


def main():
    torch.manual_seed(20261129)
    out = {}
    cases = [("plain", 1.0, 0.5, 0.0, False), ("smoothed", 1.0, 0.5, 0.1, False), ("weights", 0.3, 2.0, 0.0, False),
             ("gathered", 1.0, 0.5, 0.0, True)]
    for name, ii_w, tt_w, smoothing, gathered in cases:
        embeddings = [F.normalize(torch.randn(6, 16, dtype=torch.float64), dim=1) for _ in range(4)]
        leaves = [e.clone().requires_grad_(True) for e in embeddings]
        scale = torch.tensor(2.659260036932778, dtype=torch.float64, requires_grad=True)  # ln(1/0.07)
        others = [F.normalize(torch.randn(6, 16, dtype=torch.float64), dim=1) for _ in range(4)] if gathered else None
        total, i2t, t2i, ii, tt = mammoclip_loss(*leaves, scale, ii_w, tt_w, smoothing, rank=1 if gathered else 0,
                                                 others=others)
        total.backward()
        for k, tag in enumerate(["i1", "i2", "t1", "t2"]):
            out[f"{name}.{tag}"] = embeddings[k]
            out[f"{name}.grad_{tag}"] = leaves[k].grad
            if gathered:
                out[f"{name}.other_{tag}"] = others[k]
        out[f"{name}.grad_scale"] = scale.grad.reshape(1)
        out[f"{name}.losses"] = torch.stack([total, i2t, t2i, ii, tt]).detach()
    # The plain CLIP loss.
    image = F.normalize(torch.randn(5, 8, dtype=torch.float64), dim=1).requires_grad_(True)
    text = F.normalize(torch.randn(5, 8, dtype=torch.float64), dim=1).requires_grad_(True)
    scale = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    labels = torch.arange(5)
    loss = (F.cross_entropy(scale.exp() * image @ text.T, labels) + F.cross_entropy(scale.exp() * text @ image.T, labels)) / 2
    loss.backward()
    out.update({"clip.image": image.detach(), "clip.text": text.detach(), "clip.loss": loss.detach().reshape(1),
                "clip.grad_image": image.grad, "clip.grad_text": text.grad, "clip.grad_scale": scale.grad.reshape(1)})
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(HERE, "loss.safetensors"))
    print(len(out), "tensors")


if __name__ == "__main__":
    main()
