"""The LLM path of an answer: fit the sources to the context, stream the reply, check its citations."""

from __future__ import annotations

from typing import Generator

import numpy as np

from assistant.chunking import place
from assistant.answering.citations import Judge, check_citations, keep_supported
from assistant.config import Settings
from assistant.errors import LLMError
from assistant.evidence import Scorer, SentenceBank, nearest
from assistant.answering.extractive import closest_papers_text
from assistant.llm import ChatModel, ChatReply
from assistant.models import Answer, Hit
from assistant.params import DEFAULT_EXTRACTIVE, ExtractiveParams
from assistant.prompts import NO_ANSWER, format_sources, render
from assistant.tokens import count_tokens, truncate_tokens

# Shown between a stream that broke off (or was rejected) and the offline answer that replaces it.
FALLBACK_DIVIDER = "\n\n---\n\n"


def llm_answer(question: str, hits: list[Hit], chat: ChatModel, bank: SentenceBank, settings: Settings, notes: list[str],
               stream: bool, params: ExtractiveParams = DEFAULT_EXTRACTIVE,
               reader: Scorer | None = None) -> Generator[str, None, Answer | None]:
    """Yield the LLM's text as it comes, then return its checked Answer; None (after a note) when the offline answer
    must stand in."""
    used = fit_sources(hits, settings)
    shown = hits[:len(used)]  # the papers the LLM was given, with their whole abstracts: the answer's sources
    messages = [
        {"role": "system", "content": render("answer_system", no_answer=NO_ANSWER)},
        {"role": "user", "content": render("answer_user", sources=format_sources([(n, h.title, h.abstract) for n, h in enumerate(used, 1)]),
                                           question=question, valid_markers=", ".join(f"[{n}]" for n in range(1, len(used) + 1)))},
    ]
    reply: ChatReply | None = None
    streamed = False
    try:
        for item in chat.stream(messages) if stream else [chat.complete(messages)]:
            if isinstance(item, ChatReply):
                reply = item
                if not stream:
                    yield reply.text
            elif item:
                streamed = True
                yield item
    except LLMError as error:
        notes.append(f"{error} Showing the offline answer instead.")
        if streamed:
            yield FALLBACK_DIVIDER
        return None
    if reply is None:
        notes.append("The LLM ended its reply without finishing it. Showing the offline answer instead.")
        return None

    if reply.truncated:
        notes.append(f"The LLM's answer was cut at its token limit ({settings.llm_max_tokens}); raise ASSISTANT_LLM_MAX_TOKENS for longer answers.")
    supported = keep_supported(reply.text, used, reader_judge(used, bank, reader, params.support_logit) if reader is not None else None)
    notes.extend(supported.notes)
    if not supported.grounded:
        notes.append("The LLM's answer is not supported by the sources it cites, so the offline answer is shown instead.")
        if streamed:
            yield FALLBACK_DIVIDER
        return None
    # A full-text paper was shown to the LLM as its abstract and best passages: its quotes come from its whole text.
    checked = check_citations(supported.text, [whole if whole.body_start is not None else hit for hit, whole in zip(used, shown)],
                              bank, params)
    notes.extend(checked.notes)
    usage = reply.usage
    if checked.abstained:
        text = NO_ANSWER + closest_papers_text(shown)
        return Answer(question=question, text=text, abstained=True, mode="llm", model=reply.model, usage=usage, notes=notes, sources=shown)
    if not checked.citations:
        notes.append("The LLM's answer cited none of the sources, so the offline answer is shown instead.")
        if streamed:
            yield FALLBACK_DIVIDER
        return None
    return Answer(question=question, text=checked.text, citations=checked.citations, mode="llm", model=reply.model,
                  usage=usage, notes=notes, sources=shown)


def fit_sources(hits: list[Hit], settings: Settings) -> list[Hit]:
    """The hits whose title and abstract fit the context budget; the last one may be cut, the first is always kept."""
    used, budget = [], settings.context_tokens
    for hit in hits:
        hit = passages(hit)
        cost = count_tokens(f"{hit.title}\n{hit.abstract}", settings.tokenizer_encoding) + 12
        if cost <= budget:
            used.append(hit)
            budget -= cost
        else:
            if budget > 64 or not used:
                used.append(hit.model_copy(update={"abstract": truncate_tokens(hit.abstract, max(budget, 64), settings.tokenizer_encoding)}))
            break
    return used


# The reader reads this many sentences of a cited abstract per claim: those nearest the claim by their stored vectors.
SUPPORT_CANDIDATES = 4


def reader_judge(hits: list[Hit], bank: SentenceBank, reader: Scorer, threshold: float) -> Judge:
    """A claim is supported when the reader scores one of its cited abstracts' sentences nearest it at or above threshold
    (a logit chosen on SciFact FIT claims, bench/grounding.py); the claims and their candidates are read in one batch."""

    def judge(claims: list[tuple[str, list[int]]]) -> list[bool]:
        sentences = bank.sentences(hits)
        vectors = bank.embedder.embed([claim for claim, _ in claims])
        pairs, owner = [], []
        for row, ((claim, numbers), vector) in enumerate(zip(claims, vectors)):
            for number in dict.fromkeys(numbers):
                for sentence in nearest(np.asarray(vector), sentences.get(hits[number - 1].paper_id, []), SUPPORT_CANDIDATES):
                    pairs.append((claim, sentence.text))
                    owner.append(row)
        best = np.full(len(claims), -np.inf)
        for row, logit in zip(owner, reader.score_pairs(pairs) if pairs else []):
            best[row] = max(best[row], float(logit))
        return [bool(value >= threshold) for value in best]

    return judge


def passages(hit: Hit, limit: int = 4) -> Hit:
    """A full-text paper as the LLM sees it: its abstract and its best matching passages (page given), not all its pages."""
    if hit.body_start is None:
        return hit
    best = sorted((c for c in hit.chunks if c.end > hit.body_start), key=lambda c: -c.score)[:limit]
    parts = [hit.abstract[: hit.body_start].rstrip()]
    parts += [f"[p. {place(hit.pages, c.start)}] {c.text}" for c in sorted(best, key=lambda c: c.start)]
    return hit.model_copy(update={"abstract": "\n\n".join(parts)})
