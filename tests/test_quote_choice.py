"""Which sentence of a paper is the quote: a question's hyphenated compound ("low-scoring") is one idea, held by the
sentence with its words side by side, not by one holding its second word in another compound ("high-score"); and the
words naming what a which/what question asks for ("which CPU and GPU") point to the sentence that names them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embedding import get_embedder
from assistant.evidence import Sentence, SentenceBank, share_held
from assistant.answering.extractive import _score_sentences, extractive_answer, rarity_weights
from assistant.lexical import tokenize
from assistant.models import Hit
from assistant.params import DEFAULT_EXTRACTIVE
from assistant.answering.word_forms import compounds, holds_compound

DETECTOR = Hit(paper_id="m", title="Test-time adaptation for monocular 3D object detection", score=1.0, abstract=(
    "Monocular 3D object detection identifies objects from a single image. "
    "Test data that differ from the training data lower the confidence of every detection. "
    "We propose an adaptation method based on two strategies. "
    "First, we empirically find that high-score objects are still reliable, and optimising them raises the confidence across all detections. "
    "The two strategies are trained jointly with the detector in a single pass over the test stream. "
    "Since high-score objects may be scarce, we also exploit the numerous low-score objects via negative learning, which prevents overfitting to noise. "
    "Experiments on two benchmarks show large gains."))


@pytest.fixture(scope="module")
def bank() -> SentenceBank:
    return SentenceBank(get_embedder(Settings(_env_file=None)))


def test_a_compound_is_held_only_where_its_words_stand_together_in_any_form():
    assert compounds("How does it handle low-scoring detections?") == [("low", "score")]
    assert holds_compound(tokenize(["the numerous low-score objects"])[0], ("low", "score"))
    assert not holds_compound(tokenize(["high-score objects, low confidence"])[0], ("low", "score"))


def test_the_quote_is_the_sentence_that_holds_the_question_s_compound(bank):
    question = "How does it handle low-scoring detections?"
    one_sentence = replace(DEFAULT_EXTRACTIVE, max_sentences_per_paper=1)  # the quote is the best sentence alone
    draft = extractive_answer(question, [DETECTOR], bank, question_vector=bank.embedder.embed([question])[0], restricted=True,
                              params=one_sentence)
    assert not draft.abstained
    assert "low-score objects via negative learning" in draft.citations[0].quote


SPEED = Hit(paper_id="p", title="Place recognition methods compared indoors", score=1.0, abstract=(
    "We compare four place recognition methods on data recorded in an indoor laboratory. "
    "Scan Context and LoGG3D-Net use point clouds, while DBoW2 and SuperGlue use images. "
    "We evaluated the computational efficiency of each method by analysing its execution time on 100 frames of test data. "
    "These evaluations were conducted on an AMD Ryzen 7 5800H CPU and an NVIDIA RTX 3050 Ti GPU. "
    "Scan Context was the fastest, and LoGG3D-Net the most accurate."))


def test_the_words_a_which_question_asks_for_choose_the_quote(bank):
    from assistant.answering.extractive import asked_for

    question = "On which CPU and GPU were the execution times of the place recognition methods measured?"
    assert asked_for(question) == {"cpu", "gpu"}
    assert asked_for("What minimum and maximum FWHM values were used?") >= {"fwhm"}
    one_sentence = replace(DEFAULT_EXTRACTIVE, max_sentences_per_paper=1)
    draft = extractive_answer(question, [SPEED], bank, question_vector=bank.embedder.embed([question])[0], restricted=True,
                              params=one_sentence)
    assert "AMD Ryzen 7 5800H CPU" in draft.citations[0].quote


def test_a_question_for_a_figure_is_never_taken_for_a_question_for_the_code():
    from assistant.answering.extractive import is_code_question, is_quantity_question

    for question in ("where is the code for DAFormer?", "Is the AutoManual code released anywhere? link pls",
                     "Where can I find the project page?", "project site for that reset-free robot fine-tuning system?"):
        assert is_code_question(question), question
    for question in ("How many threads per block does the CUDA implementation launch?",
                     "What speedup did the exact kinetic Monte Carlo code reach on a GPU?",
                     "How much code did it take to re-implement the fuzzer?", "What does the implementation optimise?"):
        assert not is_code_question(question), question
    for question in ("What was the highest similarity between spectra of two different polymers?",
                     "Which version of COMSOL Multiphysics ran the simulations?", "What speedup did the GPU code reach?",
                     "What minimum and maximum FWHM values were used?", "How far apart are the two estimates at most?",
                     "What speed should the robot keep under near people?", "What dose of vitamin D was given?",
                     "What average power did the memory draw?", "What mean ratio did the configuration reach?"):
        assert is_quantity_question(question), question
    assert not is_quantity_question("What does DAFormer propose?")
    assert not is_quantity_question("What does a mean-field model assume?")
    assert not is_quantity_question("What mean-field approximation do they use?")


FLOW = Hit(paper_id="f", title="Two-phase flow in a rough microchannel", score=1.0, abstract=(
    "We simulate two-phase flow in a rough microchannel with a phase-field model. "
    "The simulated wall shear stress differs from the measured wall shear stress near the inlet of the channel. "
    "Yet, this difference is approximately 2 x 10^-3 Pa at most. "
    "The roughness of the walls changes the velocity profile across the channel. "
    "The model overpredicts the velocity near rough walls."), pages=[(0, 14)])  # a full text: its sentences run on


def test_in_a_full_text_a_sentence_that_points_back_is_quoted_with_the_sentence_before_it(bank):
    question = "How large is the difference between the simulated and the measured wall shear stress?"
    draft = extractive_answer(question, [FLOW], bank, question_vector=bank.embedder.embed([question])[0], restricted=True)
    assert not draft.abstained
    quote = draft.citations[0].quote
    assert "2 x 10^-3 Pa at most" in quote
    assert "near the inlet of the channel. Yet, this difference" in quote  # the two as the text has them, no ellipsis


VESSELS = Hit(paper_id="v", title="Brain vessel segmentation in CT angiography", score=1.0, abstract=(
    "We segment arteries and veins in CT angiography with an nnUNet model. "
    "The average directed Hausdorff distance is similar to the balanced Hausdorff distance, but we use only the first "
    "term of the equation. "
    "This is because, in our application, the boundary of the predicted volume can be much larger than the ground truth. "
    "The balanced Hausdorff distance averages both terms of the distance between the two surfaces. "
    "Topology sensitivity measures how much of the centerlines the model captures."), pages=[(0, 8)])


def test_in_a_full_text_a_reason_that_points_back_is_quoted_with_the_sentence_it_explains(bank):
    """ "Why ...?" of a full text: the reason ("This is because ...") is read with the sentence before it, which it
    explains, and quoted with it."""
    question = "Why did the authors keep only the first term of the Hausdorff distance in their metric?"
    draft = extractive_answer(question, [VESSELS], bank, question_vector=bank.embedder.embed([question])[0], restricted=True)
    assert not draft.abstained
    assert "the first term of the equation. This is because, in our application" in draft.citations[0].quote


TRAFFIC = Hit(paper_id="t", title="Traffic engineering under demand uncertainty", score=1.0, abstract=(
    "We evaluate TUFTTE on the GEANT and Cogent topologies against FFC and other failure-tolerant schemes. "
    "Notably, TUFTTE reduces the demand loss on the GEANT topology by an average of 11.59% compared to FFC. "
    "In the most different case on GEANT, TUFTTE reduces the demand loss by 52.71% compared to FFC. "
    "The training of the demand predictor takes two hours on one GPU."))


def test_a_question_for_an_extreme_figure_quotes_the_sentence_that_marks_its_figure_as_one(bank):
    """Two sentences alike in words and figures: the one that marks its figure as an extreme ("the most different case")
    answers "in the best case", not the average."""
    question = "In the best case on the GEANT topology, by how much did TUFTTE cut demand loss relative to FFC?"
    one_sentence = replace(DEFAULT_EXTRACTIVE, max_sentences_per_paper=1)
    draft = extractive_answer(question, [TRAFFIC], bank, question_vector=bank.embedder.embed([question])[0], restricted=True,
                              params=one_sentence)
    assert not draft.abstained and "52.71%" in draft.citations[0].quote


def test_in_a_full_text_the_question_s_rare_words_choose_the_quote_over_the_paper_s_topic():
    """Sentences as close to the question in meaning (one vector for all): the one holding the question's rare word
    ("registration") is quoted over one holding more of the words every sentence of the paper holds ("SPM", "smooth")."""
    vector = np.ones(4) / 2.0
    texts = [f"SPM analyses of smooth data in trial {i} agree." for i in range(20)]
    texts += ["The registration was ignored.", "SPM results hold for smooth data in every case."]
    sentences, start = [], 0
    for text in texts:
        sentences.append(Sentence("s", text, start, start + len(text), vector))
        start += len(text) + 1
    question = "Did the SPM study of smooth data consider registration?"
    full = _score_sentences(question, vector, sentences, [], False, DEFAULT_EXTRACTIVE, full_text=True)
    assert max(full, key=lambda s: s.quote).sentence.text == "The registration was ignored."
    abstract = _score_sentences(question, vector, sentences, [], False, DEFAULT_EXTRACTIVE, full_text=False)
    assert max(abstract, key=lambda s: s.quote).sentence.text.startswith("SPM")  # an abstract counts every word alike, as before


def test_a_word_held_by_every_sentence_weighs_less_than_one_held_by_one():
    weights = rarity_weights({"spm", "limit", "absent"}, [["spm", "data"], ["spm", "limit"], ["spm"], ["spm", "smooth"]])
    assert weights["spm"] < weights["limit"] < weights["absent"]
    assert share_held({"spm", "limit"}, {"limit"}, weights) > share_held({"spm", "limit"}, {"spm"}, weights)
    assert share_held({"spm", "limit"}, {"limit"}) == share_held({"spm", "limit"}, {"spm"}) == 0.5  # unweighted as before


AGENT = Hit(paper_id="q", title="Agent Q: Advanced Reasoning and Learning for Autonomous AI Agents", score=1.0, abstract=(
    "Large language models struggle with multi-step reasoning in interactive environments. "
    "Our method lets LLM agents learn from both successful and unsuccessful trajectories. "
    "We validate our approach in the WebShop environment, a simulated e-commerce platform, and in real-world booking. "
    "We believe this represents a substantial leap forward for autonomous agents."))


@pytest.mark.parametrize("question", ["What is Agent Q evaluated on?", "How was Agent Q tested?"])
def test_asked_where_a_method_was_tested_the_quote_is_the_sentence_saying_so_in_any_words(bank, question):
    draft = extractive_answer(question, [AGENT], bank, question_vector=bank.embedder.embed([question])[0], restricted=True)
    assert "WebShop environment" in draft.citations[0].quote  # one of its two sentences


GYM = Hit(paper_id="g", title="AgentGym: Evolving Large Language Model-based Agents across Diverse Environments", score=1.0,
          abstract=("Building generalist agents that handle diverse tasks and evolve across environments is a long-term goal. "
                    "We propose AgentGym, a new framework featuring a variety of environments and tasks for agent exploration. "
                    "The AgentGym suite is available on https://github.com/WooooDyy/AgentGym."))


@pytest.mark.parametrize("question, quoted", [
    ("What is AgentGym?", "We propose AgentGym"),  # asked nothing but the name: the sentence introducing it
    ("Where is the code for AgentGym?", "https://github.com/WooooDyy/AgentGym"),  # the link, when it is asked for
])
def test_a_name_alone_asked_about_is_quoted_with_its_introduction_and_a_link_only_when_asked_for(bank, question, quoted):
    one_sentence = replace(DEFAULT_EXTRACTIVE, max_sentences_per_paper=1)
    draft = extractive_answer(question, [GYM], bank, question_vector=bank.embedder.embed([question])[0], restricted=True,
                              params=one_sentence)
    assert quoted in draft.citations[0].quote


def test_a_sentence_that_only_announces_what_follows_is_quoted_with_the_sentence_after_it(bank):
    from assistant.answering.extractive import announces

    assert announces("These datasets have known limitations.") and announces("There are two reasons:")
    assert not announces("Our estimates rely on globally harmonized gridded population datasets.")
    abstract = ("We count people living near protected areas in 75 countries. "
                "Our estimates rely on globally harmonized gridded population datasets. "
                "These datasets have known limitations. "
                "Their accuracy varies across settings, and they smooth sharp local boundaries. "
                "Counts grew by a third between 2000 and 2020.")
    hit = Hit(paper_id="pa", title="People near protected areas", score=1.0, abstract=abstract)
    question = "What are the limitations of the gridded population estimates?"
    draft = extractive_answer(question, [hit], bank, restricted=True, question_vector=bank.embedder.embed([question])[0])
    assert "These datasets have known limitations." in draft.citations[0].quote
    assert draft.citations[0].quote.endswith("Their accuracy varies across settings, and they smooth sharp local boundaries.")


def test_a_full_text_in_a_list_of_papers_is_quoted_from_its_abstract_unless_its_body_holds_more_of_the_topic(bank):
    def full_text(paper_id: str, title: str, abstract: str, body: str) -> Hit:
        return Hit(paper_id=paper_id, title=title, score=1.0, abstract=f"{abstract}\n\n{body}", body_start=len(abstract) + 2,
                   pages=[(0, 1), (len(abstract) + 2, 2)], sections=[(0, "Abstract")])

    vessels = full_text("v", "Robust vessel segmentation in CTA scans",
                        "We segment the arteries and veins of the head in CT angiography with a deep network.",
                        "Table 1: Train-test splits for the datasets used in this paper. Training took two days on one GPU.")
    optics = full_text("o", "Hybrid propagation physics for coronagraphs",
                       "We model the point-spread function of an observatory fitted with a coronagraph.",
                       "For the results presented in this paper, we employ the even sample scheme. The GPU code runs in minutes.")
    for question, expected in (("Which papers are about medical imaging?", ("We segment the arteries", "We model the point")),
                               ("Which papers report GPU run times?", ("Training took two days", "The GPU code runs"))):
        draft = extractive_answer(question, [vessels, optics], bank, question_vector=bank.embedder.embed([question])[0],
                                  list_limit=5, members={"v": 0.9, "o": 0.8}, confidence=0.95, sure_confidence=0.5)
        assert [c.quote[:len(start)] for c, start in zip(draft.citations, expected)] == list(expected), draft.text


OPTICS = Hit(paper_id="o", title="Hybrid propagation physics for observatories with coronagraphs", score=1.0, abstract=(
    "Observatories with coronagraphs are modelled across several software packages. "
    "This research extends the open-source optical analysis software POPPY with Gaussian beamlet decomposition. "
    "Keywords: physical optics modeling, coronagraphs, Fresnel, optical analysis software, Gaussian beamlet decomposition."))


def _one_sentence_quote(question: str, hit: Hit, bank: SentenceBank) -> str:
    """The quote of hit, one sentence long, for a question asked of it alone."""
    draft = extractive_answer(question, [hit], bank, question_vector=bank.embedder.embed([question])[0], restricted=True,
                              params=replace(DEFAULT_EXTRACTIVE, max_sentences_per_paper=1))
    return draft.citations[0].quote


def test_a_paper_s_keyword_line_is_never_quoted_unless_asked_for(bank):
    """Tried as a new user: "Which software did the Gaussian beamlet paper use?" quoted the abstract's keyword line."""
    quote = _one_sentence_quote("Which software does the coronagraph paper use for physical optics modeling with Gaussian "
                                "beamlet decomposition?", OPTICS, bank)
    assert "POPPY" in quote and "Keywords" not in quote
    assert "Keywords:" in _one_sentence_quote("What keywords does the Gaussian beamlet decomposition paper list?", OPTICS, bank)
    # A&A's style: a bare "Key words." label, its words the next sentence
    bursts = OPTICS.model_copy(update={"abstract": "Gamma-ray bursts are short flashes of gamma rays. Key words. (stars:) "
                                                   "gamma-ray bursts – methods: data analysis – methods: statistical. We "
                                                   "analyse gamma-ray bursts with SPI data."})
    quote = _one_sentence_quote("What gamma-ray burst data analysis methods does the paper use?", bursts, bank)
    assert "methods: data analysis" not in quote


DUPLICATIONS = Hit(paper_id="d", title="Fast characterization of segmental duplications in genome assemblies", score=1.0, abstract=(
    "Segmental duplications are long repeated stretches of a genome. "
    "SEDEF. "
    "RESULTS OF SEDEF ON THE HUMAN GENOME. "
    "In this manuscript we present SEDEF, a fast tool that finds segmental duplications with a seed-and-chain search. "
    "It runs in hours, not days."))


def test_a_heading_or_label_read_as_a_sentence_is_never_quoted(bank):
    """Tried as a new user: "What does the SEDEF paper propose?" quoted "SEDEF" (a label read as a sentence)."""
    quote = _one_sentence_quote("What does the SEDEF paper propose?", DUPLICATIONS, bank)
    assert quote.startswith("In this manuscript we present SEDEF")


SEARCH = Hit(paper_id="s", title="Predictability-centric scheduling of ML training jobs", score=1.0, pages=[(0, 1)], abstract=(
    "We present a scheduler for ML training jobs on a shared cluster. "
    "Under slowly changing workloads, the search process of the scheduler explores many configurations. "
    "Under highly dynamic workloads, the search process of the scheduler may not be able to keep up. "
    "Each machine has one GPU with 12 GB of memory."))


def test_asked_for_a_weakness_the_quote_is_the_sentence_admitting_one(bank):
    """Seen on a real PDF: "When would the simulation-aided search of PCS struggle?" quoted the sentence on when the search
    is triggered, over the one saying when it may not keep up: of two sentences as near the question, the one admitting a
    weakness is quoted."""
    quote = _one_sentence_quote("Under which workloads would the search process of the scheduler struggle?", SEARCH, bank)
    assert quote.startswith("Under highly dynamic workloads")


ROADS = Hit(paper_id="g", title="A library of graph algorithms in the language of sparse linear algebra", score=1.0, abstract=(
    "We present a library of graph algorithms written in the language of sparse linear algebra. "
    "On most graphs the library runs within a factor of two of the reference code. "
    "Note that for the road network, breadth-first search is slow in the library. "
    "The primary reason for this is the high diameter of the road network, which takes thousands of iterations. "
    "Triangle counting in the library is also up to three times slower than the reference code, and even slower on the "
    "road network. "
    "This gap can be closed in the future by fusing the two kernels into one."), pages=[(0, 10)])


def test_a_full_text_s_reason_for_this_is_read_with_the_sentence_it_explains_and_quoted(bank):
    """ "The primary reason for this is ..." points back: asked why, it is read with the sentence before it and quoted
    (read alone, the sentence on triangle counting and the one after it were the quote, the reader choosing among them)."""
    from assistant.answering.reader import get_reader

    question = "Why is the library so much slower than the reference code on the road network?"
    draft = extractive_answer(question, [ROADS], bank, question_vector=bank.embedder.embed([question])[0], restricted=True,
                              quote_reader=get_reader(), quote_abstracts=False)
    assert not draft.abstained
    quote = draft.citations[0].quote
    assert "The primary reason for this is the high diameter" in quote


def test_asked_why_a_premise_given_with_since_counts_as_a_reason(bank):
    """ "..., since an earlier study found that black behaved unlike every other colour" answers "Why was black left out
    ...?" rather than the sentence restating that it was left out."""
    sentences = [Sentence(paper_id="c", text=text, start=0, end=len(text), vector=vector)
                 for text, vector in zip(COLOURS, bank.embedder.embed(COLOURS))]
    question = "Why was black left out of the colour set in the change detection experiment?"
    scored = _score_sentences(question, bank.embedder.embed([question])[0], sentences, [], False, DEFAULT_EXTRACTIVE)
    assert max(scored, key=lambda item: item.quote).sentence.text.startswith("Black was left out of the colour set, since")


COLOURS = [
    "In the experiment, black was left out of the colour set.",
    "Black was left out of the colour set, since an earlier study found that black behaved unlike every other colour in "
    "such tasks.",
    "Participants repeated a word aloud during the suppression blocks.",
]


_WIND_TEXT = ("We simulate the flow around a car in a wind tunnel in real time on the GPU. "
              "The Navier-Stokes equations are split into advection, diffusion and projection steps. "
              "The wind tunnel simulation runs Jacobi iterations for the diffusion step. "
              "The pressure is found with a multigrid solver in the projection step. "
              "Each frame, the solver takes 20 Jacobi iterations for diffusion, and 40 for the pressure. "
              "The car's outline is drawn from a photograph.")
WIND = Hit(paper_id="w", title="A real-time wind tunnel on the GPU", score=1.0, abstract=_WIND_TEXT,
           pages=[(0, 1), (_WIND_TEXT.index("Each frame"), 2)])


def test_asked_how_many_the_reader_picks_among_the_sentences_stating_a_figure(bank):
    """The reader's pick leads a full text's quote; asked "How many ...?", it is a sentence stating a figure (it picked
    "The wind tunnel simulation runs Jacobi iterations for the diffusion step." and the quote stayed on page 1)."""
    from assistant.answering.reader import get_reader

    question = "How many Jacobi iterations does the wind tunnel simulation run for the diffusion step?"
    draft = extractive_answer(question, [WIND], bank, question_vector=bank.embedder.embed([question])[0], restricted=True,
                              quote_reader=get_reader(), quote_abstracts=False)
    assert not draft.abstained
    assert "20 Jacobi iterations" in draft.citations[0].quote


_MARKET_ABSTRACT = ("We validate ElecSim, an agent-based model of the UK electricity market, with a genetic algorithm. "
                    "The genetic algorithm searches the investment parameters of the generation companies so that the "
                    "simulated electricity mix of the UK market matches the observed one between 2013 and 2018. "
                    "The validated agent-based model reproduces the observed transition from coal to gas.")
_MARKET_BODY = ("ElecSim models the UK electricity market with generation companies as agents. "
                "Each agent invests in power plants according to its expected return. "
                "The validation compares the simulated and observed electricity mix for every year from 2013 to 2018. "
                "Demand is modelled with representative days chosen by k-means clustering. "
                "The carbon tax follows the observed UK carbon price floor. "
                "We ran the optimisation with a population of 120 individuals, a crossover probability of 50% and a "
                "mutation rate of 0.1. "
                "Power plant costs come from the BEIS cost report.")
MARKET = Hit(paper_id="m", title="Validating an agent-based model of the UK electricity market with a genetic algorithm", score=1.0,
             abstract=f"{_MARKET_ABSTRACT}\n\n{_MARKET_BODY}", body_start=len(_MARKET_ABSTRACT) + 2, pages=[(0, 10_000)])


def test_what_a_question_asks_of_a_full_text_is_read_without_the_words_naming_the_paper(bank):
    """"In the validation of the ElecSim agent-based model ..., what population size did the GA use?": the words naming
    the paper match its abstract best, and the sentence giving the population was not among those the reader read."""
    from assistant.answering.extractive import asked_of_paper
    from assistant.answering.reader import get_reader

    question = ("In the validation of the ElecSim agent-based model of the UK electricity market with a genetic algorithm, "
                "what population size did the optimisation use?")
    sentences = bank.sentences([MARKET])["m"]
    asked = asked_of_paper(question, MARKET.title, sentences, MARKET.body_start)
    assert asked is not None and "population size" in asked and "ElecSim" not in asked and "market" not in asked
    assert asked_of_paper("What does ElecSim validate?", MARKET.title, sentences, MARKET.body_start) is None  # nothing left
    assert asked_of_paper("What population size?", MARKET.title, sentences, MARKET.body_start) is None  # nothing taken out
    draft = extractive_answer(question, [MARKET], bank, question_vector=bank.embedder.embed([question])[0], restricted=True,
                              quote_reader=get_reader(), quote_abstracts=False)
    assert not draft.abstained and "a population of 120 individuals" in draft.citations[0].quote


def test_asked_for_a_limitation_an_abstract_naming_none_of_its_own_says_so(bank):
    """"What are the limitations of SWE-Search?" quoted what its abstract says of earlier agents, as if its own."""
    question = "What are the limitations of the search agent?"
    others = Hit(paper_id="s", title="A search agent", score=1.0, abstract=(
        "However, current software agents often repeat ineffective actions. "
        "We propose a search agent that evaluates its own trajectories. "
        "Our approach improves the success rate by 23% on the benchmark."))
    own = Hit(paper_id="o", title="A search agent", score=1.0, abstract=(
        "We propose a search agent that evaluates its own trajectories. "
        "Our approach improves the success rate by 23% on the benchmark. "
        "A limitation of our approach is that it needs many more model calls."))
    silent = extractive_answer(question, [others], bank, question_vector=bank.embedder.embed([question])[0], restricted=True)
    assert silent.text.startswith("The abstract of *A search agent* names no limitation of its own")
    admitted = extractive_answer(question, [own], bank, question_vector=bank.embedder.embed([question])[0], restricted=True)
    assert admitted.text.startswith("From *A search agent*:") and "needs many more model calls" in admitted.citations[0].quote


def sentence(text: str, start: int) -> Sentence:
    """A sentence of one paper at `start`, without a meaningful vector (the quote choices below read only the scores)."""
    return Sentence(paper_id="p", text=text, start=start, end=start + len(text), vector=np.zeros(3))


def test_the_reader_s_pick_leads_the_quote_even_when_the_best_scored_sentence_points_back():
    """The quote score's best sentence points back ("These data were obtained ...") and was quoted with the sentence
    before it, dropping the reader's pick ("... α is reduced to 1.03."); the pick now leads, with its own antecedent when it
    points back."""
    from assistant.answering.extractive import _Scored, _quote_with_pick

    caption = sentence("Figure 2: The time step grows until it is rejected.", 0)
    data = sentence("These data were obtained from a 64 x 64 simulation.", 60)
    rule = sentence("After the first rejection of a time step, the factor is reduced to 1.03.", 200)
    reason = sentence("This keeps the rejections rare.", 280)
    scored = [_Scored(caption, 0.6, 0.6, 0.6), _Scored(data, 0.7, 0.7, 0.7, antecedent=caption),
              _Scored(rule, 0.5, 0.5, 0.5), _Scored(reason, 0.4, 0.4, 0.4, antecedent=rule)]
    pages = [(0, 3)]
    assert rule in _quote_with_pick(scored, [rule, caption], 2, pages)
    assert _quote_with_pick(scored, [reason, data], 2, pages) == [rule, reason]
    assert _quote_with_pick(scored, [data, rule], 2, pages) == [caption, data]  # the pick is the best: quoted as without the reader


def test_a_full_text_quote_s_second_sentence_is_the_reader_s_next_on_the_pick_s_page():
    """The reader's pick leads a full text's quote; the sentence joining it was the quote score's best on that page, and is
    now the reader's next there (more often the one holding the fact: the real-PDF bench 372 -> 378 of 493). A sentence
    the reader ranks next on another page does not join: the quote starts and stays on the pick's page."""
    from assistant.answering.extractive import _Scored, _quote_with_pick

    best = sentence("The testbed runs the scheduling policies on real training jobs.", 0)
    setting = sentence("We evaluate the scheduler on a testbed of 16 machines.", 100)
    gpus = sentence("Each machine has one NVIDIA P100 GPU with 12GB of memory.", 200)
    elsewhere = sentence("The simulator models 64 GPUs.", 400)
    scored = [_Scored(best, 0.9, 0.9, 0.9), _Scored(setting, 0.7, 0.7, 0.7), _Scored(gpus, 0.5, 0.5, 0.5),
              _Scored(elsewhere, 0.6, 0.6, 0.6)]
    pages = [(0, 9), (300, 10)]
    assert _quote_with_pick(scored, [setting, gpus, best], 2, pages) == [setting, gpus]  # before: [best, setting]
    assert _quote_with_pick(scored, [setting, elsewhere, best], 2, pages) == [best, setting]  # the next on its page


def test_a_full_text_that_answers_best_answers_alone(bank):
    """A second paper whose best sentence comes close (a review of such models) no longer joins the answer of a question
    about a full text: with two papers cited, each was quoted by one sentence, and the body's answer was lost."""
    review = Hit(paper_id="o", title="Agent-based models of electricity markets: a review", score=0.9, abstract=(
        "Agent-based models simulate electricity markets with generation companies as agents. "
        "Genetic algorithms are often used to calibrate the investment parameters of such models. "
        "We review forty agent-based models of European electricity markets and how they were validated."))
    question = "Which carbon price did the agent-based model of the UK electricity market follow?"
    draft = extractive_answer(question, [MARKET, review], bank, question_vector=bank.embedder.embed([question])[0])
    assert not draft.abstained
    assert [citation.paper_id for citation in draft.citations] == ["m"]
    assert "carbon price floor" in draft.citations[0].quote
