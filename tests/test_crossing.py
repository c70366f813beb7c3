"""A question asked in a language the corpus does not hold (English over Chinese articles): its
dictionary glosses count as full words, and the fusion ranks its dense similarities off the
corpus' topic. Real embedder, real index of invented articles."""

from __future__ import annotations

import numpy as np
import pytest

from retriever.search import HybridSearcher, crossing

# Invented articles (no bundled text): enough Chinese words for the corpus to hold Chinese.
CROSSING_CORPUS = {
    "tea.txt": (
        "松岭茶业公司2024年营业收入为3.8亿元，同比增长21%，净利润为4200万元。\n"
        "公司在云南和福建拥有六座茶园，员工约一千二百人，其中采茶工人占六成。\n"
        "董事长周文远表示，明年将在海外市场推出新的乌龙茶产品，并扩建仓储中心。\n"
    ),
    "railway.txt": (
        "东川城际铁路全长86公里，设车站九座，于2023年12月正式开通运营。\n"
        "铁路总投资约170亿元，设计时速为每小时250公里，首月客流量超过四十万人次。\n"
        "沿线城市的通勤时间因此缩短了一半，地方政府计划在2026年修建支线。\n"
    ),
    "museum.txt": (
        "白石湾海洋博物馆于2019年对外开放，馆内收藏标本和文物约两万件。\n"
        "博物馆去年接待游客六十五万人次，门票收入达到2600万元。\n"
        "馆长陈思雨说，新建的深海展厅将展出一具长达十八米的鲸鱼骨架。\n"
    ),
    "harvest.txt": (
        "今年秋季，河谷县的水稻产量达到每亩620公斤，创下历史新高。\n"
        "县农业局称，新品种的推广面积扩大到八万亩，农民收入普遍提高。\n"
        "由于降雨偏少，部分山区的玉米减产约一成，政府发放了抗旱补贴。\n"
    ),
}

ENGLISH_QUESTION = "How many visitors did the ocean museum receive last year?"
CHINESE_QUESTION = "白石湾海洋博物馆去年接待了多少游客？"


@pytest.fixture(scope="module")
def crossing_fc(checker_for):
    return checker_for("crossing", CROSSING_CORPUS)


def test_an_english_question_over_chinese_articles_crosses_and_a_chinese_one_does_not(crossing_fc):
    searcher = crossing_fc.searcher
    english, chinese = searcher.prepare(ENGLISH_QUESTION), searcher.prepare(CHINESE_QUESTION)
    assert english.crossing and not chinese.crossing
    assert crossing(["白石湾", "博物馆", "游客"], crossing_fc.index.lexical.idf) is False
    # a corpus that holds neither language well (a few English lines) crosses nothing
    assert crossing(["museum", "visitors"], {"museum": 1.0, "visitor": 1.0}) is False


def test_a_crossing_questions_glosses_count_as_full_words(crossing_fc):
    searcher = crossing_fc.searcher
    query = searcher.prepare(ENGLISH_QUESTION)
    assert query.bridged, "the dictionary carries museum/visitors into the articles' words"
    lexical = searcher.lexical_query(query)
    assert lexical.group_weight == searcher.cross_bridge_weight > searcher.bridge_weight
    # the fusion's lexical weight follows the glosses at that weight too
    low = HybridSearcher(crossing_fc.index, crossing_fc.embedder, searcher.lexical_weight,
                         cross_bridge_weight=searcher.bridge_weight).prepare(ENGLISH_QUESTION)
    assert query.lexical_weight > low.lexical_weight


def _expected_fusion(fc, query, ids: np.ndarray, centred: bool) -> np.ndarray:
    """The hybrid score of chunks ``ids`` recomputed here from the stored vectors and BM25."""
    searcher, index = fc.searcher, fc.index
    u = index.centroid

    def unit(rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.float64)
        if centred:
            rows = rows - np.outer(rows @ u, u)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    q = unit(query.vector[None, :])[0]
    chunk = unit(index.vectors.chunk_vectors(ids)) @ q
    best = np.array([max(unit(index.vectors.sentence_vectors(np.array(index.chunks[int(c)].sentence_ids))) @ q)
                     for c in ids])
    dense = (1 - searcher.sentence_weight) * chunk + searcher.sentence_weight * best
    by_id = {p.chunk_id: p.lexical_score for p in searcher.search(query, k=len(index.chunks), mode="lexical")}
    lexical = np.array([by_id.get(int(c), 0.0) for c in ids])

    def minmax(x: np.ndarray) -> np.ndarray:
        return (x - x.min()) / (x.max() - x.min())

    a = query.lexical_weight
    return a * minmax(lexical) + (1 - a) * minmax(dense)


def test_a_crossing_question_is_ranked_off_the_corpus_topic_and_reports_plain_cosines(crossing_fc):
    searcher, index = crossing_fc.searcher, crossing_fc.index
    assert searcher.cross_centring and index.centroid is not None
    n = len(index.chunks)
    query = searcher.prepare(ENGLISH_QUESTION)
    found = searcher.search(query, k=n)
    assert len(found) == n  # every chunk is a candidate of this small corpus
    ids = np.array([p.chunk_id for p in found])
    got = np.array([p.score for p in found])
    np.testing.assert_allclose(got, _expected_fusion(crossing_fc, query, ids, centred=True), atol=1e-4)
    assert not np.allclose(got, _expected_fusion(crossing_fc, query, ids, centred=False), atol=1e-3)
    # what a passage reports (and the checker's thresholds read) is the plain cosine
    plain = {p.chunk_id: p.dense_score for p in searcher.search(query, k=n, mode="dense")}
    assert all(p.dense_score == pytest.approx(plain[p.chunk_id], abs=1e-5) for p in found)
    # a question in the corpus' own language is ranked by the plain cosines
    chinese = searcher.prepare(CHINESE_QUESTION)
    mine = searcher.search(chinese, k=n)
    np.testing.assert_allclose([p.score for p in mine],
                               _expected_fusion(crossing_fc, chinese, np.array([p.chunk_id for p in mine]),
                                                centred=False), atol=1e-4)
