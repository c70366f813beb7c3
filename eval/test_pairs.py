"""Retrieval per question language × article language, on the multi-topic articles (English,
Simplified and Traditional Chinese in one index, like a mixed archive): the 130 questions of
eval/topics/questions.jsonl (mostly asked in the articles' language) and the 80 of
eval/topics/crosslingual.jsonl (asked in another language or script). A question is found when a
passage overlaps one of the sentences that answer it.

Floors sit a little under what was measured with use-m (README, "Evaluation"); the README says
which targets of the retrieval issue are not met yet.
"""

from __future__ import annotations

import pytest

from retriever.evaluation import PAIR_FAMILIES, format_table, load_pair_questions, run_pairs

MODES = ("dense", "lexical", "hybrid")

# measured (hybrid hit@5): en→en 0.97, en→zh 0.85, zh→en 0.68, zh→zh 0.94, all 0.88 (0.94, 0.83,
# 0.63, 0.92, 0.85 before a passage held its document's first sentence's words)
MIN_HIT5 = {"en→en": 0.91, "en→zh": 0.78, "zh→en": 0.60, "zh→zh": 0.90, "all": 0.84}


@pytest.fixture(scope="module")
def pairs(topics_fc, report):
    questions = load_pair_questions()
    tables = {mode: run_pairs(topics_fc, questions, mode) for mode in MODES}
    rows = {key: {f"{mode} {metric}": tables[mode][key][metric] for mode in MODES for metric in ("hit@5", "R@1")}
            | {"n": tables["hybrid"][key]["n"]} for key in tables["hybrid"]}
    columns = ["n"] + [f"{mode} {metric}" for mode in MODES for metric in ("hit@5", "R@1")]
    report(format_table(rows, "retrieval by question language → article language (multi-topic set)", columns),
           "retrieval-pairs")
    return tables


def test_the_pair_set_has_every_direction():
    questions = load_pair_questions()
    directions = {(q.lang, a) for q in questions for a in q.article_langs}
    langs = ("en", "zh-Hans", "zh-Hant")
    assert {(q, a) for q in langs for a in langs} <= directions
    english_articles = [q for q in questions if "en" in q.article_langs]
    assert len(english_articles) >= 40 and sum(q.lang != "en" for q in english_articles) >= 20


@pytest.mark.parametrize("family", list(MIN_HIT5))
def test_hybrid_hit_at_5_per_pair(pairs, family):
    assert pairs["hybrid"][family]["hit@5"] >= MIN_HIT5[family], pairs["hybrid"][family]


@pytest.mark.parametrize("family", PAIR_FAMILIES)
def test_fusion_finds_what_the_better_part_finds(pairs, family):
    # hit@5 of the fusion against the better of dense and BM25 on the same questions, allowing
    # one question of difference (the small cross-lingual pairs move by 2.5 points a question)
    dense, lexical, hybrid = (pairs[m][family] for m in MODES)
    one = 1 / hybrid["n"]
    assert hybrid["hit@5"] >= max(dense["hit@5"], lexical["hit@5"]) - one - 1e-9, \
        {"hybrid": hybrid, "dense": dense, "lexical": lexical}
