"""Follow-ups in conversations: how often the question actually searched is the right one, now and with the old rule.

    .venv/bin/python bench/conversations.py [--file bench/data/conversations.jsonl] [--data-dir DIR] [--show-misses]

Each line of the file is a conversation of one to three questions asked one after the other, offline, with the
history ask() gets from the chat (the previous questions, the answers and the ids of the papers they cited). Every
question after the first is labelled:
- independent: it names its own subject; right when it is searched exactly as asked (and its gold paper ranks first,
  or, with no gold paper, the answer abstains);
- followup: it points back ("it", "this method", "what about X?"); right when the searched question names the
  subject it points at (one of `subject`) and a gold paper ranks first;
- dangling (a first question that points at nothing): right when the answer asks which paper is meant.

"before" replays the rule this project used until the follow-up work: any question of 12 words or fewer, or with a
word such as "it", "this" or "also", was searched glued to the previous question. Two files: conversations.jsonl was
used while building the rules, conversations_heldout.jsonl was written with it and only measured.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.config import Settings

HERE = Path(__file__).parent
_OLD_SHORT_WORDS = 12
_OLD_FOLLOW_UP_WORDS = re.compile(r"\b(it|its|they|them|their|this|that|these|those|the paper|the method|same|also|more)\b",
                                  re.IGNORECASE)
_CLARIFICATION = "Which paper do you mean"


def old_rule(question: str, previous_questions: list[str]) -> str:
    """The searched question under the rule before the follow-up work."""
    if previous_questions and (len(question.split()) <= _OLD_SHORT_WORDS or _OLD_FOLLOW_UP_WORDS.search(question)):
        return f"{previous_questions[-1]} {question}"
    return question


def searched_right(kind: str, question: str, searched: str, subject: list[str]) -> bool:
    """Whether the searched question is the right one for a question of this kind."""
    if kind == "independent":
        return searched == question
    return any(name.lower() in searched.lower() for name in subject)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, action="append",
                        help="Conversation file(s) (default: both files in bench/data/).")
    parser.add_argument("--data-dir", type=Path, default=None, help="Index directory (default: a temporary one, removed after).")
    parser.add_argument("--show-misses", action="store_true", help="Print every turn that went wrong.")
    args = parser.parse_args()
    files = args.file or [HERE / "data" / "conversations.jsonl", HERE / "data" / "conversations_heldout.jsonl"]
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-conv-", dir="/tmp"))
    try:
        settings = Settings(_env_file=None, data_dir=data_dir)
        for path in files:
            report(path, settings, args.show_misses)
    finally:
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def report(path: Path, settings: Settings, show_misses: bool) -> None:
    from assistant.service import Assistant

    assistant = Assistant(settings, offline=True)
    assistant.ensure_ready()
    conversations = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (kind, measure) -> [right, total]
    for conversation in conversations:
        history: list[dict[str, Any]] = []
        previous: list[str] = []
        for turn in conversation["turns"]:
            question, gold = turn["question"], set(turn.get("gold", []))
            kind = turn.get("kind", "first")
            answer = assistant.ask(question, history=history)
            searched = answer.standalone_question or question
            if kind == "dangling":
                _count(counts, kind, "after: searched right", answer.text.startswith(_CLARIFICATION), show_misses, question, searched)
                _count(counts, kind, "before: searched right", False, False, question, question)
            elif kind != "first":
                right = searched_right(kind, question, searched, turn.get("subject", []))
                top = answer.sources[0].paper_id if answer.sources else None
                found = answer.abstained if not gold else top in gold
                _count(counts, kind, "after: searched right", right, show_misses, question, searched)
                _count(counts, kind, "after: gold paper first", found, show_misses, question, f"{searched} -> {top}")
                old = old_rule(question, previous)
                old_answer = assistant.ask(old)  # what the old rule searched, asked alone
                old_top = old_answer.sources[0].paper_id if old_answer.sources else None
                old_found = old_answer.abstained if not gold else old_top in gold
                _count(counts, kind, "before: searched right", searched_right(kind, question, old, turn.get("subject", [])),
                       False, question, old)
                _count(counts, kind, "before: gold paper first", old_found, False, question, old)
            history += [{"role": "user", "content": question},
                        {"role": "assistant", "content": answer.text, "paper_ids": [c.paper_id for c in answer.citations]}]
            previous.append(question)
    print(f"\n{path.name}: {len(conversations)} conversations")
    print(f"{'kind':12} {'measure':26} {'right':>6} {'of':>4} {'share':>6}")
    for (kind, measure), (right, total) in sorted(counts.items()):
        print(f"{kind:12} {measure:26} {right:6d} {total:4d} {right / total:6.2f}")


def _count(counts: dict[tuple[str, str], list[int]], kind: str, measure: str, right: bool, show: bool,
           question: str, searched: str) -> None:
    counts[(kind, measure)][0] += int(right)
    counts[(kind, measure)][1] += 1
    if show and not right:
        print(f"  miss [{kind}, {measure}] {question!r} searched as {searched!r}")


if __name__ == "__main__":
    main()
