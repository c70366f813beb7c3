"""Retrieval accuracy on the gold QA set, per language, for each side of the fusion and for the hybrid.

Thresholds are set a little under what was measured (see README, "Evaluation").
"""

from __future__ import annotations

import pytest

from retriever.evaluation import LANGS, by_language, format_table, run_retrieval, summarise

COLUMNS = ["n", "R@1", "R@5", "MRR@10", "hit@5"]

# Measured on the seeds with use-m (2 cores): hybrid hit@5 zh-Hans 1.000, zh-Hant 1.000,
# en 0.963 (0.852 before English stems and the dictionary bridge, 0.926 before a crossing
# question's glosses counted as full words and its dense side was ranked off the corpus' topic),
# all 0.988; R@1 all 0.901, zh-Hans 0.943 (0.925 before a passage held its document's first
# sentence's words), en 0.852 (0.685 before the bridge, 0.815 before the crossing rules);
# MRR@10 all 0.943. English floors are the targets (hit@5 0.95, R@1 0.85).
MIN_HIT5_ALL = 0.95
MIN_HIT5 = {"zh-Hans": 0.97, "zh-Hant": 0.97, "en": 0.95}
MIN_R1_ALL = 0.87
MIN_R1 = {"zh-Hans": 0.92, "en": 0.85}
MIN_MRR_ALL = 0.92


@pytest.fixture(scope="module")
def results(fc, gold):
    return {mode: run_retrieval(fc, gold, mode) for mode in ("dense", "lexical", "hybrid")}


def test_gold_set_shape(gold):
    assert len(gold) >= 30
    langs = {lang: sum(g.lang == lang for g in gold) for lang in LANGS}
    assert min(langs.values()) >= len(gold) // 4, langs
    assert sum(not g.answerable for g in gold) >= 3


def test_report_tables(results, report):
    for mode, rows in results.items():
        report(format_table(by_language(rows), f"retrieval: {mode}", COLUMNS), f"retrieval-{mode}")


def test_hybrid_meets_thresholds(results):
    table = by_language(results["hybrid"])
    assert table["all"]["hit@5"] >= MIN_HIT5_ALL, table["all"]
    assert table["all"]["R@1"] >= MIN_R1_ALL, table["all"]
    assert table["all"]["MRR@10"] >= MIN_MRR_ALL, table["all"]
    for lang, floor in MIN_HIT5.items():
        assert table[lang]["hit@5"] >= floor, (lang, table[lang])
    for lang, floor in MIN_R1.items():
        assert table[lang]["R@1"] >= floor, (lang, table[lang])


@pytest.mark.parametrize("group", [("zh-Hans", "zh-Hant"), ("en",)], ids=["chinese", "english"])
@pytest.mark.parametrize("metric", ["R@1", "MRR@10", "hit@5"])
def test_fusion_never_worse_than_its_best_part(results, group, metric):
    """The adaptive fusion must match or beat the better of dense and BM25 on each question language."""
    def score(mode: str) -> float:
        return summarise([r for r in results[mode] if r.gold.lang in group])[metric]

    hybrid, dense, lexical = score("hybrid"), score("dense"), score("lexical")
    assert hybrid >= max(dense, lexical) - 1e-9, {"hybrid": hybrid, "dense": dense, "lexical": lexical}
