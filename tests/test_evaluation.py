"""The evaluation harness: metrics on hand-made rankings and answers, and `assistant eval` end to end on the seeds."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.config import get_settings
from assistant.errors import AssistantError
from assistant.cli import eval_command
from assistant.evaluation import (METRICS, RETRIEVERS, Question, answer_metrics, curve_point, gold_paper_ids,
                                  load_questions, percentiles, retrieval_metrics)
from assistant.evaluation.metrics import auc, calibration_error
from assistant.models import Answer, Citation, Hit
from tests.fakes import FakeChatModel


def test_retrieval_metrics_match_hand_computed_values():
    gold = {"q1": ["a"], "q2": ["b"], "q3": ["c", "d"], "q4": ["e"]}
    types = {"q1": "known_item", "q2": "known_item", "q3": "multi", "q4": "paraphrase", "q5": "unanswerable"}
    rankings = {
        "q1": ["a", "x", "y"],       # gold first
        "q2": ["x", "y", "b"],       # gold third
        "q3": ["x", "c", "y"],       # one of two gold papers, second
        "q4": [],                    # nothing retrieved
        "q5": ["a"],                 # unanswerable: left out
    }
    metrics = retrieval_metrics(rankings, gold, types)

    assert set(metrics) == {"overall", "known_item", "multi", "paraphrase"}
    assert metrics["known_item"]["hit@1"] == 0.5
    assert metrics["known_item"]["mrr"] == pytest.approx((1 + 1 / 3) / 2, abs=1e-4)
    assert metrics["known_item"]["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4)) / 2, abs=1e-4)
    assert metrics["multi"] == pytest.approx({"hit@1": 0.0, "hit@5": 1.0, "mrr": 0.5, "recall@10": 0.5,
                                              "ndcg@10": (1 / math.log2(3)) / (1 + 1 / math.log2(3))}, abs=1e-4)
    assert metrics["paraphrase"] == {name: 0.0 for name in METRICS}
    overall = metrics["overall"]
    assert overall["hit@1"] == 0.25
    assert overall["hit@5"] == 0.75
    assert overall["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 2 + 0) / 4, abs=1e-4)
    assert overall["recall@10"] == pytest.approx((1 + 1 + 0.5 + 0) / 4, abs=1e-4)


def test_gold_titles_map_to_paper_ids_and_an_unknown_title_is_an_error():
    titles = {"paper-a": "Attention Is All You Need", "paper-b": "Deep  Residual Learning"}
    questions = [Question("q1", "?", "known_item", ("attention is all you need",)),
                 Question("q2", "?", "multi", ("Deep Residual Learning", "Attention Is All You Need")),
                 Question("q3", "?", "unanswerable")]
    assert gold_paper_ids(questions, titles) == {"q1": ["paper-a"], "q2": ["paper-a", "paper-b"]}

    with pytest.raises(AssistantError, match="'A Missing Paper' is not in the collection"):
        gold_paper_ids([Question("q9", "?", "known_item", ("A Missing Paper",))], titles)


def test_question_file_errors_name_the_line(tmp_path: Path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "1", "question": "q", "type": "unanswerable"}\nnot json\n')
    with pytest.raises(AssistantError, match=r"q.jsonl:2"):
        load_questions(path)
    path.write_text('{"id": "1", "question": "q", "type": "known_item", "gold_titles": []}\n')
    with pytest.raises(AssistantError, match="has no gold_titles"):
        load_questions(path)


def _answer(sources: list[str], cited: list[str], *, abstained: bool = False, text: str = "", quote: str = "") -> Answer:
    return Answer(question="?", text=text, abstained=abstained,
                  sources=[Hit(paper_id=p, title=p, score=1.0) for p in sources],
                  citations=[Citation(number=n, paper_id=p, title=p, quote=quote, urls=[f"https://github.com/x/repo-{p}"])
                             for n, p in enumerate(cited, start=1)])


def test_answer_metrics_match_hand_computed_values():
    questions = [Question("q1", "?", "known_item", ("T1",), ("DPO", "85%", "repo-a")),
                 Question("q2", "?", "known_item", ("T2",), ("STAX",)),
                 Question("q3", "?", "unanswerable"),
                 Question("q4", "?", "unanswerable")]
    gold = {"q1": ["a"], "q2": ["b"]}
    answers = {
        "q1": _answer(["a", "z"], ["a"], text="It uses dpo [1].", quote="over 85% of cases"),  # 'repo-a' only in the url
        "q2": _answer(["z"], [], abstained=True, text="I cannot answer that from these papers."),
        "q3": _answer(["z"], [], abstained=True),
        "q4": _answer(["z"], ["z", "ghost"], text="Made up [1][2]."),  # answered, and cites a paper it did not retrieve
    }
    metrics = answer_metrics(questions, answers, gold)

    assert metrics["answered"] == 0.5
    assert metrics["abstained"] == 0.5
    assert metrics["gold_cited"] == 0.5
    assert metrics["keywords_present"] == 0.75  # 3 of the 4 keywords, all in q1's answer
    assert metrics["invalid_citations"] == 1
    assert metrics["by_type"]["known_item"]["answered"] == 0.5
    assert metrics["by_type"]["unanswerable"]["abstained"] == 0.5


def test_auc_and_calibration_error_match_hand_computed_values():
    assert auc([0.9, 0.8, 0.3, 0.1], [True, True, False, False]) == 1.0
    assert auc([0.5, 0.5], [True, False]) == 0.5  # a tie counts half
    assert auc([0.2, 0.9, 0.4], [True, False, False]) == 0.0
    assert auc([0.2, 0.9], [True, True]) is None
    # Two bins: 0.9 (both true: |0.9 - 1| = 0.1) and 0.2 (one of two true: |0.2 - 0.5| = 0.3), equal weights.
    assert calibration_error([0.9, 0.9, 0.2, 0.2], [True, True, True, False]) == pytest.approx(0.2)
    assert calibration_error([], []) is None


def test_curve_point_and_percentiles():
    questions = [Question("a", "?", "known_item", ("T",)), Question("b", "?", "paraphrase", ("T",)), Question("u", "?", "unanswerable")]
    assert curve_point(0.5, questions, {"a": False, "b": True, "u": True}) == {"threshold": 0.5, "answered": 0.5, "abstained": 1.0}
    assert percentiles({"embed": [1.0, 2.0, 3.0, 4.0, 100.0], "empty": []}) == {"embed": {"p50": 3.0, "p95": 80.8}}


@pytest.fixture
def seeded_env(seeded_settings, monkeypatch: pytest.MonkeyPatch):
    """Point get_settings() (which the command reads) at the session's seeded index."""
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(seeded_settings.data_dir))
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(seeded_settings.seeds_dir))
    get_settings.cache_clear()
    return seeded_settings


def _question_file(tmp_path: Path, settings) -> tuple[Path, list[str]]:
    from assistant.service import default_assistant

    papers = sorted(default_assistant(settings).retriever.state().snapshot.papers.values(), key=lambda p: p.paper_id)
    titles = [papers[0].title, papers[1].title, papers[2].title]
    records = [
        {"id": "t1", "question": titles[0], "type": "known_item", "gold_titles": [titles[0]], "answer_keywords": [titles[0].split()[0]]},
        {"id": "t2", "question": f"What does the paper '{titles[1]}' propose?", "type": "paraphrase", "gold_titles": [titles[1]], "answer_keywords": []},
        {"id": "t3", "question": f"{titles[0]} and {titles[2]}", "type": "multi", "gold_titles": [titles[0], titles[2]], "answer_keywords": []},
        {"id": "t4", "question": "How many GPUs did the Zorblax-9000 whale choir symphony model need?", "type": "unanswerable",
         "gold_titles": [], "answer_keywords": []},
    ]
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path, titles


def test_eval_command_json_schema_report_and_plots(seeded_env, tmp_path: Path):
    questions, _ = _question_file(tmp_path, seeded_env)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "BENCH.md").write_text("# Bench figures\n\n## Ingest\n\ningest: 123 chunks/s\n")

    result = CliRunner().invoke(eval_command, ["--questions", str(questions), "--k", "5", "--json", "--out", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"questions_file", "k", "retrieval", "answers", "abstention_curve", "latency_ms", "generated_at"} <= set(report)
    assert report["questions_file"] == str(questions) and report["k"] == 5
    assert datetime.fromisoformat(report["generated_at"]).tzinfo is not None
    assert set(report["retrieval"]) == set(RETRIEVERS)
    for method in RETRIEVERS:
        assert set(report["retrieval"][method]) == {"overall", "known_item", "paraphrase", "multi"}
        for metrics in report["retrieval"][method].values():
            assert set(metrics) == set(METRICS) and all(isinstance(v, float) and 0 <= v <= 1 for v in metrics.values())
    assert report["retrieval"]["fused"]["known_item"]["hit@1"] == 1.0  # the title itself, asked as the question
    assert report["retrieval"]["fused"]["multi"]["recall@10"] == 1.0

    assert list(report["answers"]) == ["extractive"]  # no LLM configured
    offline = report["answers"]["extractive"]
    assert offline["answerable"] == 3 and offline["unanswerable"] == 1
    assert offline["invalid_citations"] == 0
    assert offline["by_type"]["known_item"]["gold_cited"] == 1.0

    curve = report["abstention_curve"]
    assert all(set(p) == {"threshold", "answered", "abstained"} for p in curve)
    assert [p["threshold"] for p in curve] == sorted(p["threshold"] for p in curve)
    answered = [p["answered"] for p in curve]
    assert answered == sorted(answered, reverse=True)  # a higher threshold never answers more
    # At the current confidence threshold the confidence curve replays exactly what ask() decided.
    confidence_curve = report["confidence_curve"]
    assert [p["answered"] for p in confidence_curve] == sorted((p["answered"] for p in confidence_curve), reverse=True)
    current = next(p for p in confidence_curve if p["threshold"] == report["index"]["min_confidence"])
    assert (current["answered"], current["abstained"]) == (offline["answered"], offline["abstained"])
    assert 0.0 <= offline["confidence_auc"] <= 1.0 and 0.0 <= offline["calibration_error"] <= 1.0

    assert {"embed", "dense", "lexical", "fusion", "generate"} <= set(report["latency_ms"])
    assert all(0 <= v["p50"] <= v["p95"] for v in report["latency_ms"].values())

    out = tmp_path / "out"
    markdown = (out / "EVAL.md").read_text()
    assert f"assistant eval --questions {questions} --k 5 --out {out}" in markdown
    assert "| overall | 3 | fused |" in markdown
    assert "## Benchmarks" in markdown and "\n### Ingest\n\ningest: 123 chunks/s" in markdown and "# Bench figures" not in markdown
    for png in ("retrieval.png", "abstention.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({png})" in markdown


def test_eval_command_table_and_unknown_gold_title(seeded_env, tmp_path: Path):
    questions, _ = _question_file(tmp_path, seeded_env)
    result = CliRunner().invoke(eval_command, ["--questions", str(questions), "--k", "3"])
    assert result.exit_code == 0, result.output
    assert "Retrieval: answerable questions, 3 papers per question" in result.output
    assert "Abstention trade-off" in result.output and "(current)" in result.output

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "question": "q", "type": "known_item", "gold_titles": ["No Such Paper Anywhere"]}) + "\n")
    result = CliRunner().invoke(eval_command, ["--questions", str(bad)])
    assert result.exit_code == 1
    assert "'No Such Paper Anywhere' is not in the collection" in result.output


def test_llm_mode_is_evaluated_when_a_chat_model_is_given(seeded_settings, tmp_path: Path):
    from assistant.evaluation import evaluate
    from assistant.prompts import NO_ANSWER

    path, titles = _question_file(tmp_path, seeded_settings)
    # Replies that share words with their sources: an answer with none is not grounded and falls back.
    chat = FakeChatModel(f"It proposes {titles[0]} [1].", f"It proposes {titles[1]} [1].",
                         f"Both are covered: {titles[0]} and {titles[2]} [1][2].", NO_ANSWER)

    every_question_to_the_llm = seeded_settings.model_copy(update={"min_confidence": 0.0})  # no confidence floor
    report = evaluate(load_questions(path), every_question_to_the_llm, k=5, llm=chat)

    assert len(chat.history) == 4
    llm = report["answers"]["llm"]
    assert llm["answered"] == 1.0 and llm["abstained"] == 1.0 and llm["invalid_citations"] == 0
    assert report["index"]["llm_model"] == "fake-model"
    assert "generate_llm" in report["latency_ms"]
    assert [q["answers"]["llm"]["mode"] for q in report["per_question"]] == ["llm"] * 4


def test_eval_command_says_bad_setting_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"id": "u", "question": "q", "type": "unanswerable"}) + "\n")
    monkeypatch.setenv("ASSISTANT_TOP_K", "many")
    get_settings.cache_clear()
    result = CliRunner().invoke(eval_command, ["--questions", str(questions)])
    assert result.exit_code == 1
    assert "Bad setting (" in result.output and "Bad setting: " not in result.output
