"""Fine-tunes all-MiniLM-L6-v2 as a dual-encoder reader: question and sentence embedded apart (mean pooling, as the
embedder), score = scale x cosine + bias, both learnt. Starts where the bi-encoder is (its cosine already picks the
rationale sentence half the time) and learns from the same pointwise records as train.py (bench/reader/data.py
--pointwise): a softmax over each question's candidates (its rationale sentences against the rest of the gold abstract
and the nearest other abstracts' best sentences) plus a BCE per pair, which sets the scale and bias so that a logit
above 0 means "this sentence answers".

Why not the cross-encoder of train.py: from this checkpoint (trained for mean-pooled embeddings, never on pairs in one
sequence) the cross-encoder's logits start flat for every pair and, on ~250 training claims, 40 minutes did not move
them off a constant (docs/READER.md). Needs the `train` extra.

    .venv/bin/python bench/reader/train_dual.py --records .cache/reader/pointwise.jsonl --out .cache/reader/dual
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer
from transformers import BertModel

from train import base_model_dir, load_groups, take_step, warm_up_then_decay


class DualReader(torch.nn.Module):
    """The embedder's encoder (mean pooling, L2-normalised) with a learnt scale and bias on the cosine."""

    def __init__(self, encoder: BertModel, scale: float = 20.0, bias: float = -12.0):
        super().__init__()
        self.encoder = encoder
        self.scale = torch.nn.Parameter(torch.tensor(scale))
        self.bias = torch.nn.Parameter(torch.tensor(bias))

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)


def encode(tokenizer: Tokenizer, texts: list[str]) -> dict[str, torch.Tensor]:
    encodings = tokenizer.encode_batch(texts)
    return {"input_ids": torch.tensor([e.ids for e in encodings], dtype=torch.long),
            "attention_mask": torch.tensor([e.attention_mask for e in encodings], dtype=torch.long)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--records-per-step", type=int, default=4)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--head-lr", type=float, default=1e-2, help="learning rate of the scale and bias")
    parser.add_argument("--pos-weight", type=float, default=3.0)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--max-minutes", type=float, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    model = DualReader(BertModel.from_pretrained(str(base_model_dir()), add_pooling_layer=False))
    tokenizer = Tokenizer.from_file(str(base_model_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=args.max_length)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    records = load_groups(args.records)
    total = max(1, int(math.ceil(len(records) / args.records_per_step) * args.epochs))
    optimizer = torch.optim.AdamW([{"params": model.encoder.parameters(), "lr": args.lr, "weight_decay": 0.01},
                                   {"params": [model.scale, model.bias], "lr": args.head_lr, "weight_decay": 0.0}])
    budget = 60 * args.max_minutes
    began = time.monotonic()
    scheduler = warm_up_then_decay(optimizer, total, budget, began)
    print(f"{len(records)} records, {total} steps of {args.records_per_step}", flush=True)
    model.train()
    order: list[dict] = []
    running, pairs_done = 0.0, 0
    pos_weight = torch.tensor(args.pos_weight)
    for step in range(total):
        if not order:
            order = rng.sample(records, len(records))
        batch, order = order[: args.records_per_step], order[args.records_per_step :]
        questions = [rng.choice(r["forms"]) for r in batch]
        sentences = [c for r in batch for c in r["candidates"]]
        qv = model.embed(**encode(tokenizer, questions))
        sv = model.embed(**encode(tokenizer, sentences))
        losses, logits_all, labels_all = [], [], []
        start = 0
        for i, record in enumerate(batch):
            size = len(record["candidates"])
            logits = model.scale * (sv[start : start + size] @ qv[i]) + model.bias
            labels = torch.tensor(record["labels"], dtype=torch.float32)
            if labels.sum() > 0:  # the rationale sentences against the rest: which sentence answers
                logp = torch.log_softmax(logits, dim=0)
                losses.append(-torch.logsumexp(logp[labels > 0], dim=0))
            logits_all.append(logits)
            labels_all.append(labels)
            start += size
        bce = torch.nn.functional.binary_cross_entropy_with_logits(torch.cat(logits_all), torch.cat(labels_all), pos_weight=pos_weight)
        loss = (torch.stack(losses).mean() if losses else 0.0) + bce
        take_step(loss, model, optimizer, scheduler)
        pairs_done += len(sentences)
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        elapsed = time.monotonic() - began
        if step % 25 == 0 or step == total - 1:
            print(f"step {step + 1}/{total} loss {running:.4f} scale {model.scale.item():.2f} bias {model.bias.item():.2f} "
                  f"{elapsed / 60:.1f} min", flush=True)
        if budget and elapsed > budget:
            print(f"stopped at step {step + 1} of {total}: --max-minutes {args.max_minutes}", flush=True)
            break
    args.out.mkdir(parents=True, exist_ok=True)
    model.encoder.save_pretrained(str(args.out))
    (args.out / "head.json").write_text(json.dumps({"scale": model.scale.item(), "bias": model.bias.item()}))
    (args.out / "training.json").write_text(json.dumps({"seconds": round(time.monotonic() - began), "steps": step + 1, "pairs": pairs_done,
                                                        "args": {k: str(v) for k, v in vars(args).items()}}, indent=1))
    print(f"saved {args.out} after {(time.monotonic() - began) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
