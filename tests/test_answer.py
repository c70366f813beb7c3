"""retriever.answer (through FactChecker.ask): extractive, cited answers on the real seeds."""

from __future__ import annotations

import json
import time

import pytest

from index.text import display_script
from retriever import Answer, QuestionError
from retriever.check import Apart, Verdict
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


# --------------------------------------------------------------------------- the one-line answer, Markdown


def _values(answer: Answer) -> list[str]:
    return [v.value for v in answer.check.values] if answer.check else []


def test_a_conflict_headline_lists_every_value_and_who_states_it_in_the_askers_script(fc):
    simplified = fc.ask("智谱2025年上半年的净亏损是多少？")
    assert simplified.verdict == "conflict" and len(simplified.check.values) == 2
    line = simplified.headline
    assert line.startswith("来源说法不一：") and "億" not in line and "23.58 亿元" in line and "17.52亿元" in line
    from index.text import display_script

    for report in simplified.check.values:  # every value, each with every source's name
        assert all(display_script(s.name, "Simplified") in line for s in report.sources), (report, line)
    traditional = fc.ask("智譜2025年上半年的淨虧損是多少？").headline
    assert traditional.startswith("來源說法不一：") and "亿" not in traditional and "23.58 億元" in traditional
    english = fc.ask("How many enterprise customers does Zhipu have?")
    assert english.headline.startswith("Sources disagree: ") and " vs " in english.headline
    for report in english.check.values:
        assert f"{report.value} ≈ {report.english}" in english.headline
    assert "\n" not in line and "\n" not in english.headline


def test_headlines_never_claim_more_than_the_verdict(fc):
    agreed = fc.ask("智譜2024年的營收是多少？")
    assert agreed.verdict == "consistent"
    assert agreed.headline == f"2個來源一致：3.12 億元（{'、'.join(_shown_names(agreed))}）。"
    quoted = fc.ask("智谱为什么选择在香港上市？")
    assert quoted.verdict == "quoted"
    # the quote in the asker's script (this one is Traditional in its article)
    assert quoted.headline.startswith(f"“{display_script(quoted.citations[0].quote, 'Simplified')}”[1]——")
    assert quoted.headline.endswith("（原文引用，未比对数值）")
    assert fc.ask("Why did Zhipu list in Hong Kong?").headline.endswith("(quoted; no figure compared)")
    named = fc.ask("智谱的CEO是谁？")  # a who question: the names the sources give, compared
    assert named.verdict == "consistent" and named.headline.startswith("4个来源一致：张鹏（")
    assert named.headline.endswith("等4个来源）。")  # three names shown, and the count of all
    english = fc.ask("Who is the CEO of Zhipu?")
    assert english.headline.startswith("4 sources agree: ") and english.headline.endswith(" and 1 more).")
    assert fc.ask(UNRELATED[1]).headline == "资料中没有这个问题的答案。"
    assert fc.ask(UNRELATED[0]).headline == "The sources do not answer this question."
    single = fc.ask("What is Zhipu valuation?")
    if single.verdict == "single_source":  # one source: said as one source
        assert single.headline.startswith("One source says ") and "no other source" in single.headline


def _shown_names(answer: Answer) -> list[str]:
    from index.text import display_script

    return [display_script(s.name, "Traditional") for s in answer.check.values[0].sources]


@pytest.mark.parametrize("text, english", [
    ("23.58亿元", "CNY 2.36 billion"), ("約為243.77億元", "about CNY 24.4 billion"), ("超 8000 家", "over 8,000"),
    ("1.2萬家", "12,000"), ("66亿美元", "USD 6.6 billion"), ("3.12 億元", "CNY 312 million"),
    ("百分之三十五", "35%"), ("2019年", "2019"), ("3倍", "3 times"), ("8.6 billion yuan", ""),
])
def test_values_are_restated_for_an_english_reader(text, english):
    from index.values import parse_values
    from retriever.answer import in_english

    value = next(v for v in parse_values(text, "2025-12-19") if v.text.strip() in text)
    assert in_english(value) == english


def test_the_english_scales_are_checked_against_the_magnitudes(tmp_path):
    from index.values.lexicon import LexiconError, extend_lexicon, reset_lexicons

    bad = tmp_path / "bad.toml"
    bad.write_text('language = "en"\n[scales]\nwords = ["zillion"]\n', encoding="utf-8")
    try:
        with pytest.raises(LexiconError, match="zillion"):
            extend_lexicon(bad)
    finally:
        reset_lexicons()


def test_markdown_export_holds_the_answer_values_sources_quotes_and_dates(fc):
    answer = fc.ask("智谱2025年上半年的净亏损是多少？")
    md = answer.to_markdown()
    lines = md.splitlines()
    assert lines[0] == "### 智谱2025年上半年的净亏损是多少？"
    assert lines[2] == f"**Sources disagree.** {answer.headline}"
    for report in answer.check.values:
        row = next(line for line in lines if line.startswith(f"| {report.value}"))
        assert f"[{report.sources[0].citation}]" in row and (report.sources[0].date or "") in row
    for c in answer.citations:
        assert f"   > {c.quote}" in lines
        assert any(line.startswith(f"{c.n}. ") and c.source["date"] in line and c.doc_id in line for line in lines)
    assert "latest report" in md
    from retriever.answer import answer_markdown

    assert answer_markdown(json.loads(json.dumps(answer.to_dict()))) == md  # the chat's copy is the same


def test_the_answer_json_keeps_every_field_and_adds_the_headline(fc):
    data = fc.ask("智谱2025年上半年的净亏损是多少？").to_dict()
    assert {"question", "verdict", "verdict_title", "answer", "citations", "passages", "notes", "check",
            "question_read", "headline"} <= set(data)
    group = data["check"]["groups"][0]
    assert {"value", "kind", "unit", "interval", "doc_ids", "sources", "citations", "latest_report",
            "number", "english", "modifiers"} <= set(group)
    assert {"doc_id", "name", "date", "reported", "citation", "label", "when"} <= set(group["sources"][0])
    assert data["answer"].startswith("Sources disagree: ")  # the text keeps its English first line


def test_sources_agree_only_with_another_source_s_nearly_as_good_figure_shown_beside_them(fc):
    # Three articles give the half-year loss in words this question matches; a fourth gives another
    # figure in words too far from theirs to join: "agree" is said of the three, and the fourth's
    # figure is shown beside them, not hidden.
    answer = fc.ask("What was Zhipu's net loss in the first half of 2025?")
    if answer.verdict is Verdict.CONSISTENT:
        unmatched = [a for a in answer.check.apart if a.reason == Apart.UNMATCHED.value]
        assert unmatched, answer.text
        assert "worded too differently" in answer.text and unmatched[0].value in answer.text
    else:
        assert answer.verdict is Verdict.CONFLICT, answer.text  # or the two figures are compared outright
