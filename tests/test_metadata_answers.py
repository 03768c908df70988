"""Questions a paper's record or a definition answers: who wrote it, what an acronym stands for."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.embedding import get_embedder
from assistant.evidence import SentenceBank
from assistant.answering.extractive import extractive_answer, is_author_question
from assistant.models import Hit

ABSTRACT = ("Large language models reason better when they search. "
            "We propose a post-training framework called Reinforcement Learning via Self-Play (RLSP). "
            "RLSP rewards exploration of reasoning steps as well as correct answers.")


@pytest.fixture(scope="module")
def bank() -> SentenceBank:
    return SentenceBank(get_embedder(Settings(_env_file=None)))


def _answer(bank: SentenceBank, question: str, **record) -> object:
    hit = Hit(paper_id="r", title="On the Emergence of Thinking in LLMs", score=1.0, abstract=ABSTRACT, **record)
    return extractive_answer(question, [hit], bank, question_vector=bank.embedder.embed([question])[0], restricted=True)


@pytest.mark.parametrize("question", ["What does RLSP stand for?", "what is the meaning of RLSP"])
def test_what_an_acronym_stands_for_is_answered_with_the_sentence_defining_it(bank, question):
    draft = _answer(bank, question)
    assert "Reinforcement Learning via Self-Play (RLSP)" in draft.citations[0].quote


def test_who_wrote_a_paper_is_answered_from_its_record_and_an_unrecorded_author_is_said_to_be_unknown(bank):
    assert is_author_question("Who wrote the RLSP paper?") and is_author_question("Who are the authors of RLSP?")
    assert not is_author_question("What do the authors conclude about self-play?")  # asks about the paper's content
    draft = _answer(bank, "Who wrote the RLSP paper?", authors=["Ada Lovelace", "Alan Turing"], date="2025-02-10")
    assert not draft.abstained and "(2025) is by Ada Lovelace and Alan Turing. [1]" in draft.text
    assert draft.citations[0].paper_id == "r"
    unknown = _answer(bank, "Who wrote the RLSP paper?")
    assert unknown.abstained and "does not record who wrote" in unknown.text and not unknown.citations
    assert "no paper that answers" not in unknown.text  # the paper is there; its record has no authors


def test_misspelt_words_are_read_as_the_words_the_collection_uses_but_unknown_terms_and_names_stay(seeded_settings):
    from assistant import ask
    from assistant.answering.spelling import corrected
    from assistant.service import Assistant

    lexical = Assistant(seeded_settings, offline=True).retriever.state().lexical
    # "reinforcment" stays: BM25 stems it as "reinforcement", so the collection uses it
    assert corrected("What is reinforcment lerning from human feedbak?", lexical) == (
        "What is reinforcment learning from human feedback?", [("lerning", "learning"), ("feedbak", "feedback")])
    assert corrected("Which models optimise for colour?", lexical)[0] in ("Which models optimize for colour?",
                                                                          "Which models optimize for color?")
    for question in ("Which eye tracker was used?",  # English words the seeds never use: what is asked about, no typo
                     "What black carbon did the aethalometer record?",  # a technical term no text uses stays
                     "How does WebRL work?", "How does webrl work?"):  # a name, in any case
        assert corrected(question, lexical) == (question, [])
    answer = ask("What is reinforcment lerning from human feedbak?", settings=seeded_settings, llm=None)
    assert not answer.abstained and "Human Feedback" in answer.citations[0].title
    assert "Read “lerning” as “learning”, “feedbak” as “feedback”." in answer.notes


def test_a_correction_is_a_typist_s_slip_not_another_word_one_letter_away():
    from assistant.answering.spelling import _slip

    assert _slip("reatment", "treatment") and _slip("agnet", "agent") and _slip("varion", "virion")
    assert _slip("feedbak", "feedback") and _slip("baise", "base")
    assert not _slip("tegmental", "segmental")  # an anatomical term, not a slip of "segmental"


@pytest.mark.parametrize("question, asks", [("Summarize the RLSP paper", True), ("summarise RLSP", True),
                                            ("Give me a brief overview of the RLSP paper", True),
                                            ("What is the paper on self-play about?", True), ("tl;dr of RLSP", True),
                                            ("Summarize the papers on self-play", False), ("What does RLSP reward?", False)])
def test_a_request_for_one_paper_in_brief_is_told_apart(question, asks):
    from assistant.answering.extractive import is_summary_question

    assert is_summary_question(question) is asks


def test_a_paper_in_brief_quotes_its_abstract_in_order_and_never_its_body(bank):
    body = "We thank the reviewers. The experiments ran on eight GPUs for a week."
    text = f"{ABSTRACT}\n\n{body}"
    hit = Hit(paper_id="r", title="On the Emergence of Thinking in LLMs", score=1.0, abstract=text, body_start=len(ABSTRACT) + 2,
              pages=[(0, 1)], sections=[(0, "Abstract")])
    draft = extractive_answer("Summarize the RLSP paper", [hit], bank, restricted=True,
                              question_vector=bank.embedder.embed(["Summarize the RLSP paper"])[0])
    assert not draft.abstained and "in brief, from its abstract" in draft.text
    (citation,) = draft.citations
    assert citation.quote == ABSTRACT  # the three sentences of the abstract, in its order
    assert all(end <= len(ABSTRACT) for _, end in citation.spans)


@pytest.mark.parametrize("question, asks", [("What does the RLSP paper find?", True), ("What are the main findings of RLSP?", True),
                                            ("What did the self-play paper show about exploration?", True),
                                            ("What are the key results of RLSP?", True), ("What do the papers on self-play find?", False),
                                            ("What are the results of RLSP on MATH?", False), ("What does RLSP reward?", False)])
def test_a_question_on_what_one_paper_found_is_told_apart(question, asks):
    from assistant.answering.extractive import is_findings_question

    assert is_findings_question(question) is asks


def test_what_a_paper_found_is_quoted_from_the_sentences_of_its_abstract_stating_findings_never_its_body(bank):
    abstract = ("Language models often stop exploring too early. We propose RLSP, which rewards exploration of reasoning "
                "steps. We find that RLSP lengthens reasoning and raises accuracy on MATH by 23%. Our results suggest that "
                "exploration rewards transfer across model sizes.")
    body = "We find that the learning rate matters little. The experiments ran on eight GPUs."
    hit = Hit(paper_id="r", title="On the Emergence of Thinking in LLMs", score=1.0, abstract=f"{abstract}\n\n{body}",
              body_start=len(abstract) + 2, pages=[(0, 1)], sections=[(0, "Abstract")])
    question = "What are the main findings of the RLSP paper?"
    draft = extractive_answer(question, [hit], bank, restricted=True, question_vector=bank.embedder.embed([question])[0])
    assert "found, from its abstract" in draft.text
    (citation,) = draft.citations
    assert citation.quote == ("We find that RLSP lengthens reasoning and raises accuracy on MATH by 23%. Our results suggest "
                              "that exploration rewards transfer across model sizes.")
    # An abstract stating no finding in so many words: the paper in brief.
    plain = Hit(paper_id="p", title="On the Emergence of Thinking in LLMs", score=1.0, abstract=ABSTRACT)
    draft = extractive_answer(question, [plain], bank, restricted=True, question_vector=bank.embedder.embed([question])[0])
    assert "in brief, from its abstract" in draft.text and draft.citations[0].quote == ABSTRACT


def test_what_a_full_text_concluded_is_quoted_from_its_conclusions_when_its_abstract_states_no_finding(bank):
    """"What did the Ovid stylometry paper conclude about the Epistula Sapphus?" was answered with the abstract's opening
    ("This article aims to contribute to ..."): its conclusions section says what it concluded."""
    abstract = ("This article aims to contribute to two debates in Latin philology about Ovid's Heroides. The first is the "
                "authenticity of the Epistula Sapphus.")
    method = "We compare character n-grams of the letters with the rest of Ovid's elegy. The corpus holds 33,000 lines."
    heading = "7 CONCLUSIONS"
    conclusions = ("The Epistula Sapphus shows nothing inconsistent with Ovid's authorship. The Double Heroides group "
                   "with the later poems. Stylometry cannot settle every question.")
    later = "8 FUTURE WORK"
    plans = "Prose rhythm could be added to the features."
    text = f"{abstract}\n\n{method}\n\n{heading}\n\n{conclusions}\n\n{later}\n\n{plans}"
    at = text.index
    hit = Hit(paper_id="o", title="Some Stylometric Remarks on Ovid's Heroides", score=1.0, abstract=text,
              body_start=at(method), pages=[(0, 1), (at(heading), 12)],
              sections=[(0, "Abstract"), (at(method), "3 METHODOLOGY"), (at(heading), heading), (at(later), later)])
    question = "What did the Ovid stylometry paper conclude about the Epistula Sapphus?"
    draft = extractive_answer(question, [hit], bank, restricted=True, question_vector=bank.embedder.embed([question])[0])
    assert "concluded, from its section “7 CONCLUSIONS”" in draft.text
    (citation,) = draft.citations
    assert "nothing inconsistent with Ovid's authorship" in citation.quote
    assert all(at(heading) <= start and end <= at(later) for start, end in citation.spans)  # never another section's


def test_the_words_of_a_request_are_no_topic_the_collection_must_mention():
    """"Summarize the gender pricing paper." over papers that never say "summarize" was refused: "No paper in the
    collection mentions “Summarize”"."""
    from assistant.answering.answerability import TermStats
    from assistant.answering.list_membership import unheard_topic

    stats = TermStats(10, {"gender": 2, "price": 3})
    for question in ("Summarize the gender pricing paper.", "Give me a brief summary of the gender pricing paper",
                     "Describe the gender pricing paper", "Explain the gender pricing paper"):
        assert unheard_topic(question, stats) == [], question
    assert unheard_topic("Summarize the watermarking paper", stats) == ["watermarking"]


def test_who_wrote_a_full_text_is_cited_with_its_abstract_not_a_body_sentence_that_shares_the_questions_words(bank):
    body = "We thank the reviewers who wrote helpful comments on the RLSP paper. Experiments ran on eight GPUs."
    hit = Hit(paper_id="r", title="On the Emergence of Thinking in LLMs", score=1.0, abstract=f"{ABSTRACT}\n\n{body}",
              body_start=len(ABSTRACT) + 2, pages=[(0, 1)], sections=[(0, "Abstract")], authors=["Ada Lovelace"])
    question = "Who wrote the RLSP paper?"
    draft = extractive_answer(question, [hit], bank, restricted=True, question_vector=bank.embedder.embed([question])[0])
    assert "is by Ada Lovelace. [1]" in draft.text
    assert draft.citations[0].quote in ABSTRACT
