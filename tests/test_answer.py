"""retriever.answer (through FactChecker.ask): extractive, cited answers on the real seeds."""

from __future__ import annotations

import json
import time

import pytest

from retriever import Answer, QuestionError
from retriever.factchecker import MAX_QUESTION_CHARS

NOT_FOUND = "not_found"
ANSWERED = {"consistent", "single_source", "conflict", "quoted"}

# Questions the articles answer, with a fact the cited sentences must state
# (taken from the articles themselves).
ANSWERABLE = [
    ("智谱2025年上半年的净亏损是多少？", "23.58"),
    ("智譜2025年上半年的淨虧損是多少？", "23.58"),
    ("智谱的股票代码是多少？", "2513"),
    ("智谱IPO引入多少家基石投资者？", "11家基石投资者"),
    ("唐杰教授团队研发了什么系统？", "AMiner"),
    ("智谱成立于哪一年？", "2019"),
    ("How many cornerstone investors did Zhipu's IPO bring in?", "11家基石投资者"),
]

UNRELATED = [
    "What is the capital of France?",
    "今天北京天气怎么样？",
    "Who won the 2018 FIFA World Cup?",
    "如何做一道红烧肉？",
]


@pytest.fixture(scope="module")
def answers(fc):
    """Each answerable question asked once for the module."""
    return {q: fc.ask(q) for q, _ in ANSWERABLE}


def _check_citations(fc, answer: Answer) -> None:
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    by_chunk = {p.chunk_id: p for p in answer.passages}
    for c in answer.citations:
        doc = fc.index.documents[c.doc_id]
        assert doc.text[c.start:c.end] == c.quote, c.n
        assert c.quote.strip() == c.quote and len(c.quote) >= 2
        # it lies within the passage it is cited from
        assert c.chunk_id in by_chunk, c.n
        passage = by_chunk[c.chunk_id]
        assert passage.doc_id == c.doc_id
        assert passage.start <= c.start < c.end <= passage.end
        # the answer text quotes it, its marker after it on the same line
        assert any(c.quote in line and f"[{c.n}]" in line[line.index(c.quote):] for line in answer.text.splitlines()), c.n
        # the source shown beside it is the document's
        assert c.source["doc_id"] == c.doc_id and c.source["date"] == doc.date
        if c.value:  # a quoted figure points into the same sentence
            assert doc.text[c.value_start:c.value_end] == c.value
            assert c.start <= c.value_start < c.value_end <= c.end


@pytest.mark.parametrize("question, fact", ANSWERABLE)
def test_answerable_questions_quote_and_cite_exact_spans(fc, answers, question, fact):
    answer = answers[question]
    assert answer.verdict in ANSWERED, answer.notes
    assert answer.citations
    _check_citations(fc, answer)
    assert any(fact in c.quote for c in answer.citations), [c.quote for c in answer.citations]


@pytest.mark.parametrize("question, _", ANSWERABLE)
def test_verdict_agrees_with_the_number_of_sources(answers, question, _):
    answer = answers[question]
    docs = {c.doc_id for c in answer.citations}
    if answer.verdict == "single_source":
        assert len(docs) == 1
    if answer.verdict in ("consistent", "conflict"):
        assert len(docs) > 1


def test_citation_markers_are_unique_quotes(answers):
    for answer in answers.values():
        quotes = [c.quote for c in answer.citations]
        assert len(quotes) == len(set(quotes))


@pytest.mark.parametrize("question", UNRELATED)
def test_unrelated_questions_are_not_found(fc, question):
    answer = fc.ask(question)
    assert answer.verdict == NOT_FOUND, [c.quote for c in answer.citations]
    assert answer.citations == []
    assert answer.text  # says so in words
    assert "[1]" not in answer.text


def test_to_dict_is_json_serialisable(fc, answers):
    for question in (ANSWERABLE[0][0], ANSWERABLE[2][0]):
        answer = answers[question]
        data = answer.to_dict()
        text = json.dumps(data, ensure_ascii=False)
        back = json.loads(text)
        assert {"question", "verdict", "answer", "citations", "passages"} <= set(back)
        assert back["question"] == question
        assert back["verdict"] == answer.verdict
        assert back["answer"] == answer.text
        assert len(back["citations"]) == len(answer.citations)
        for c, d in zip(answer.citations, back["citations"]):
            assert d["quote"] == c.quote and d["span"] == [c.start, c.end] and d["doc_id"] == c.doc_id
            assert d["n"] == c.n
        assert [p["chunk_id"] for p in back["passages"]] == [p.chunk_id for p in answer.passages]


def test_not_found_to_dict_is_json_serialisable(fc):
    data = json.loads(json.dumps(fc.ask(UNRELATED[1]).to_dict(), ensure_ascii=False))
    assert data["verdict"] == NOT_FOUND and data["citations"] == []
    assert isinstance(data["passages"], list)


@pytest.mark.parametrize("question", ["", " ", "   \n\t  ", "\u3000", "\x00\x07"])
def test_empty_questions_raise_question_error(fc, question):
    with pytest.raises(QuestionError) as info:
        fc.ask(question)
    assert "empty" in str(info.value)


@pytest.mark.parametrize("question", [None, 42, b"bytes", ["list"]])
def test_non_text_questions_raise_question_error(fc, question):
    with pytest.raises(QuestionError):
        fc.ask(question)


def test_question_error_is_a_value_error(fc):
    with pytest.raises(ValueError):
        fc.ask("")


def test_a_question_over_the_limit_is_refused_with_the_limit_named(fc):
    question = "智谱的股票代码是多少？" + "请详细回答。" * 20000  # 120,011 characters
    with pytest.raises(QuestionError, match=f"limit is {MAX_QUESTION_CHARS:,}"):
        fc.ask(question)
    with pytest.raises(QuestionError, match="limit"):
        fc.search(question)


def test_a_30_million_character_question_is_refused_at_once(fc):
    question = "智" * 30_000_000
    started = time.perf_counter()
    with pytest.raises(QuestionError, match="30,000,000 characters"):
        fc.ask(question)
    assert time.perf_counter() - started < 1.0  # no pass over the text before refusing it


def test_a_question_of_exactly_the_limit_is_answered(fc):
    answer = fc.ask("x" * MAX_QUESTION_CHARS)
    assert answer.verdict in ANSWERED | {NOT_FOUND}


def test_control_characters_are_cleaned_not_fatal(fc):
    answer = fc.ask("智谱的股票代码\x00是多少？\x1b")
    assert "\x00" not in answer.question and "\x1b" not in answer.question
    assert any("2513" in c.quote for c in answer.citations)
