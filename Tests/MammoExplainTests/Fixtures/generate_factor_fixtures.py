"""Regenerates the Mammo-FActOR parity fixtures (run: make fixtures).

Reference: the Mammo-FActOR training notebook of the official Mammo-CLIP code (PyPI `mammoclip`
0.1.8, `codebase/notebooks/Mammo-Factor/Mammo-Factor.ipynb`). Its `Mapper_model` and `Mapper_loss`
cells are executed as they are (CUDA calls made no-ops, the image encoder import stubbed); the mapper's
per-attribute heads (`pool.<a>`) are run on fixed feature maps, and the loss on those heads' region
embeddings laid out as the loss reads them (image x channel, attribute, dimension).

The notebook's forward concatenates the heads' outputs along the channel axis and then views the
result as (image x channel, attribute, dimension), which interleaves heads and channels instead of
pairing them; the fixture also stores that tensor (`reference_view_embeddings`) so the tests can show
the difference MammoFM documents (it pairs channel c with head a, as the paper describes).

Writes, next to this script:
  factor.safetensors  features (4 x 6 x 3 x 2), the heads' weights (pool.<a>.0/2.weight/bias; 2
                      attributes, 6 -> 6 -> 5), attribute embeddings (2 x 5), labels (4 x 2), each
                      head's output, the region embeddings, the reference's view of them, the loss and
                      its gradient with respect to the region embeddings
"""
import json
import os
import sys
import types

import importlib.machinery
import importlib.util

import numpy as np
import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(1)
torch.manual_seed(0)

notebook = os.path.join(importlib.util.find_spec("codebase").submodule_search_locations[0],
                        "notebooks/Mammo-Factor/Mammo-Factor.ipynb")
cells = ["".join(c["source"]) for c in json.load(open(notebook))["cells"] if c["cell_type"] == "code"]

# The model cell imports the reference's image encoder loader; the mapper's heads need none of it.
for name in ["breastclip", "breastclip.model", "breastclip.model.modules"]:
    stub = types.ModuleType(name)
    stub.__spec__ = importlib.machinery.ModuleSpec(name, None)
    stub.load_image_encoder = lambda *a, **k: None
    sys.modules[name] = stub
# The notebook runs on CUDA; on this machine its .cuda() calls stay on the CPU.
torch.Tensor.cuda = lambda self, *a, **k: self

namespace = {}
exec(next(c for c in cells if "class Mapper_model" in c), namespace)
exec(next(c for c in cells if "class Mapper_loss" in c), namespace)
Mapper_model, Mapper_loss = namespace["Mapper_model"], namespace["Mapper_loss"]

batch, channels, height, width, dimension, attributes = 4, 6, 3, 2, 5, 2
features = torch.randn(batch, channels, height, width)
attribute_embeddings = torch.nn.functional.normalize(torch.randn(attributes, dimension), dim=1)
labels = torch.tensor([[1, 0], [0, 1], [1, 1], [0, 0]])

# The mapper without its image encoder: the heads exactly as the notebook builds them.
model = Mapper_model.__new__(Mapper_model)
torch.nn.Module.__init__(model)
model.emb_dim, model.lang_emb, model.one_proj, model.adapter, model.num_proj = height * width, dimension, False, False, attributes
model.pool = torch.nn.ModuleList([
    torch.nn.Sequential(torch.nn.Linear(model.emb_dim, model.emb_dim), torch.nn.ReLU(), torch.nn.Linear(model.emb_dim, model.lang_emb))
    for _ in range(attributes)])

flat = features.view(batch, channels, -1)
heads = [model.pool[a](flat) for a in range(attributes)]                      # each batch x channels x dimension
regions = torch.stack(heads, dim=2).reshape(batch * channels, attributes, dimension)
reference_view = torch.cat(heads, dim=1).view(-1, attributes, dimension)     # the notebook's forward

loss_module = Mapper_loss(temp=0.07, one_proj=False, attr_to_embs={"mass": attribute_embeddings[0].numpy(),
                                                                     "calcification": attribute_embeddings[1].numpy()})
embeddings = regions.detach().clone().requires_grad_(True)
loss = loss_module({"region_proj_embs": embeddings, "num_regions": torch.tensor(channels)}, {"labels": labels})
loss.backward()

tensors = {
    "features": features, "attribute_embeddings": attribute_embeddings, "labels": labels.to(torch.float32),
    "region_embeddings": regions.detach(), "reference_view_embeddings": reference_view.detach(),
    "loss": loss.detach().reshape(1), "loss_gradient": embeddings.grad,
}
for a in range(attributes):
    tensors[f"head_{a}"] = heads[a].detach()
    for key, value in model.pool[a].state_dict().items():
        tensors[f"pool.{a}.{key}"] = value
save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(HERE, "factor.safetensors"))
print("loss", loss.item())
