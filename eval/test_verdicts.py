"""Fact-checking verdicts on two gold sets: the seeds' (eval/gold.jsonl) and the multi-topic set
written for this purpose (eval/topics/: 45 articles on 18 events in three languages, 130
questions with planted conflicts, roundings, hedges, other periods and other measures).

Thresholds sit a little under what was measured with use-m (README, "Evaluation"); the README also
says which targets are not met yet. A question answered by a name, not a figure, accepts
``quoted`` ("quoted, not compared") besides its expected verdict.
"""

from __future__ import annotations

import pytest

from retriever.evaluation import (
    LANGS,
    asks_a_name,
    format_table,
    gold_cases,
    load_topics,
    metrics_by_language,
    name_metrics,
    run_cases,
)

COLUMNS = ["n", "accuracy", "conflict_P", "conflict_R", "false_alarm", "agree_on_conflict", "both_values",
           "not_found_R", "cite_P", "value_cites"]
TITLE = ("(conflict_P/R: conflict precision/recall; false_alarm: conflict said where the sources agree or differ "
         "in period or measure; agree_on_conflict: 'agree' said on a real conflict; both_values: detected conflicts "
         "that show two of the sources' differing values; cite_P: value citations whose span holds the value)")


@pytest.fixture(scope="module")
def seeds(fc, gold, report):
    results = run_cases(fc, gold_cases(gold))
    table = metrics_by_language(results)
    report(format_table(table, "verdicts, seeds gold set " + TITLE, COLUMNS), "verdicts")
    return table


@pytest.fixture(scope="module")
def topics(topics_fc, report):
    results = run_cases(topics_fc, load_topics())
    table = metrics_by_language(results)
    report(format_table(table, "verdicts, multi-topic gold set " + TITLE, COLUMNS), "verdicts-topics")
    return table


def test_the_topics_set_has_every_trap_in_every_language():
    cases = load_topics()
    assert len(cases) >= 120
    for lang in LANGS:
        conditions = {c.condition for c in cases if c.lang == lang}
        assert {"conflict", "rounding", "format", "identical", "different_period", "different_measure", "single",
                "not_found", "non_numeric"} <= conditions, (lang, conditions)
    assert sum(c.cross_lingual for c in cases) >= 10


def test_citations_hold_their_values(seeds, topics):
    for table in (seeds, topics):
        assert table["all"]["value_cites"] > 100
        assert table["all"]["cite_P"] == 1.0


def test_topics_conflicts_and_false_alarms(topics):
    # measured: conflict P 0.85, R 0.56; false alarms 0.045; agree-on-conflict 0.05; both values 0.78;
    # accuracy 0.71 (floors leave room for the noise of one or two items)
    assert topics["all"]["conflict_R"] >= 0.5
    assert topics["all"]["conflict_P"] >= 0.75
    assert topics["all"]["false_alarm"] <= 0.08
    assert topics["all"]["agree_on_conflict"] <= 0.08
    assert topics["all"]["both_values"] >= 0.65
    assert topics["all"]["accuracy"] >= 0.66


def test_seeds_conflicts_and_false_alarms(seeds):
    # measured: conflict P 1.00, R 0.905 (19 of 21); false alarms 0; agree-on-conflict 0; both values
    # 1.00; accuracy 0.66. The targets (P/R >= 0.9, no false alarm) are asserted as they are
    assert seeds["all"]["conflict_R"] >= 0.9
    assert seeds["all"]["conflict_P"] >= 0.9
    assert seeds["all"]["false_alarm"] == 0.0
    assert seeds["all"]["agree_on_conflict"] <= 0.05
    assert seeds["all"]["both_values"] >= 0.90
    assert seeds["all"]["accuracy"] >= 0.61


def test_conflict_answers_show_each_value_with_its_sources(fc, gold):
    for case in gold_cases(gold):
        if case.expected != "conflict":
            continue
        answer = fc.ask(case.question)
        if answer.verdict.value != "conflict":
            continue
        assert answer.check is not None and len(answer.check.values) >= 2, case.id
        for value in answer.check.values:
            assert value.sources and value.citations, (case.id, value)
            assert all(s.name and (s.date or s.reported) for s in value.sources)
        assert answer.text.startswith("Sources disagree: "), case.id
        assert sum(v.latest for v in answer.check.values) >= 1, case.id


def test_who_and_where_questions_compare_names_without_a_wrong_verdict(fc, gold, topics_fc, report):
    # issue 9's stretch: names compared like values (index/values/names.py). Measured: seeds 6
    # questions, 3 compared (all agree, right names; the CFO question no source answers is quoted,
    # not "not found", as before); topics 11, 5 compared (2 conflicts, 3 agreements, right names)
    table = {"seeds": name_metrics(run_cases(fc, [c for c in gold_cases(gold) if asks_a_name(c)])),
             "topics": name_metrics(run_cases(topics_fc, [c for c in load_topics() if asks_a_name(c)]))}
    report(format_table(table, "who/where questions: answered by comparing names (compared), verdicts right "
                               "(accuracy), compared answers whose verdict is right (compared_P) and whose names the sources state "
                               "(names_P)",
                        ["n", "compared", "compared_P", "accuracy", "names_P"]), "names")
    for row in table.values():
        assert row["n"] >= 5
        assert row["compared"] >= 0.3
        assert row["accuracy"] >= 0.8
        assert row["compared_P"] == 1.0
        assert row["names_P"] == 1.0
