"""The fact-checker on the real seeds: conflicts, agreement, periods, and what the answer shows."""

from __future__ import annotations

import json

import pytest

QUESTIONS = {
    "net_loss_h1": ("智谱2025年上半年的净亏损是多少？", "智譜2025年上半年的淨虧損是多少？",
                    "What net loss did Zhipu report for the first half of 2025?"),
    "oversubscription": ("智谱香港公开发售部分超额认购了多少倍？", "智譜香港公開發售部分超額認購了多少倍？",
                         "How many times was the Hong Kong public offering oversubscribed?"),
}


@pytest.mark.parametrize("question", [q for qs in QUESTIONS.values() for q in qs])
def test_known_conflicts_are_marked_in_every_language(fc, question):
    answer = fc.ask(question)
    assert answer.verdict == "conflict", answer.text
    groups = answer.extra["check"]["groups"]
    assert len(groups) >= 2
    docs = [set(g["doc_ids"]) for g in groups]
    assert all(a.isdisjoint(b) for i, a in enumerate(docs) for b in docs[i + 1:])


def test_conflict_names_the_most_recent_report(fc):
    answer = fc.ask("How many times was the Hong Kong public offering oversubscribed?")
    groups = {g["value"].replace(" ", ""): g for g in answer.extra["check"]["groups"]}
    assert groups["1159.46倍"]["most_recent"] and not groups["910倍"]["most_recent"]
    assert answer.extra["check"]["most_recent_date"] == "2026-01-08"
    assert "Most recent source: 004_65969bad2b7e0fd7" in answer.text


@pytest.mark.parametrize(
    "question",
    ["智谱2024年的收入是多少？", "What was Zhipu's revenue in 2024?", "智譜2024年的營收是多少？"],
)
def test_rounding_is_not_a_conflict(fc, question):
    answer = fc.ask(question)  # 3.124亿 in some articles, 3.12亿 in others
    assert answer.verdict == "consistent", answer.text
    assert len(answer.extra["check"]["groups"]) == 1
    assert len(answer.extra["check"]["groups"][0]["doc_ids"]) >= 3


def test_a_period_the_articles_do_not_cover_is_not_found(fc):
    answer = fc.ask("智谱2021年的净亏损是多少？")
    assert answer.verdict == "not_found" and not answer.citations
    assert any("2022" in n and "2021" in n for n in answer.notes)


def test_shareholding_and_voting_rights_are_different_measures(fc):
    held = fc.ask("IPO前，智谱创始团队合计持有公司多少股权？")
    votes = fc.ask("唐杰和刘德兵合计控制多少表决权？")
    assert held.verdict != "conflict" and votes.verdict != "conflict"
    held_values = {c["text"].replace(" ", "") for c in held.extra["claims"]}
    vote_values = {c["text"].replace(" ", "") for c in votes.extra["claims"]}
    assert any("33.03%" in v for v in held_values) and any("37%" in v for v in vote_values)
    assert not any("37%" in v for v in held_values)


def test_claims_in_the_json_carry_value_unit_hedge_quantity_period_and_span(fc):
    answer = fc.ask("智譜的企業客戶有多少家？")
    data = json.loads(json.dumps(answer.to_dict(), ensure_ascii=False))
    assert data["verdict"] == "conflict"
    for claim in data["claims"]:
        assert {"text", "value", "unit", "hedge", "quantity", "period", "doc_id", "value_span", "interval"} <= set(claim)
        doc = fc.index.documents[claim["doc_id"]]
        start, end = claim["value_span"]
        assert doc.text[start:end] == claim["text"]
    for cite in data["citations"]:
        doc = fc.index.documents[cite["doc_id"]]
        s, e = cite["span"]
        vs, ve = cite["value_span"]
        assert s <= vs < ve <= e and doc.text[vs:ve] == cite["value"]
