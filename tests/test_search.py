"""retriever.search: hybrid, dense and lexical search over the real seeds index."""

from __future__ import annotations

import numpy as np
import pytest

from index.text import display_script, has_cjk
from retriever import HybridSearcher, QuestionError

MODES = ["hybrid", "dense", "lexical"]

# Questions that reuse an article's own words, with the article they come from.
REUSING_QUESTIONS = [
    ("智譜核心科研團隊已發表多少篇頂尖高影響力論文？", "000"),
    ("唐杰教授团队研发了AMiner科研情报系统", "001"),
    ("券商为智谱借出多少孖展？", "001"),
    ("三年半智譜累計收入不過多少？", "002"),
    ("智谱股票代码是多少", "003"),
    ("智谱IPO引入多少家基石投资者？", "003"),
    ("鉅亨網 智譜 港股上市首日飆漲", "004"),
    ("智谱香港公开发售倍数是多少？", "004"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("question", ["智谱2025年上半年的净亏损是多少？", "What was Zhipu's revenue in 2024?",
                                      "智譜的企業客戶有多少家？"])
def test_search_returns_k_ranked_passages_that_slice_back(fc, question, mode):
    k = 5
    passages = fc.search(question, k=k, mode=mode)
    assert len(passages) == k
    assert [p.rank for p in passages] == list(range(1, k + 1))
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert len({p.chunk_id for p in passages}) == k
    for p in passages:
        doc = fc.index.documents[p.doc_id]
        assert doc.text[p.start:p.end] == p.text
        assert p.source["doc_id"] == p.doc_id and p.source["date"] == doc.date
        for _, start, end in p.sentences:
            assert p.start <= start < end <= p.end
        if mode == "lexical":
            assert p.lexical_score > 0 and p.score == pytest.approx(p.lexical_score)
        if mode == "dense":
            assert p.score == pytest.approx(p.dense_score)


def test_passage_to_dict(fc):
    passage = fc.search("智谱股票代码是多少", k=1)[0]
    data = passage.to_dict()
    assert data["rank"] == 1 and data["doc_id"] == passage.doc_id and data["text"] == passage.text
    assert data["span"] == [passage.start, passage.end]
    assert data["source"]["doc_id"] == passage.doc_id


@pytest.mark.parametrize("mode", ["lexical", "hybrid"])
@pytest.mark.parametrize("question, key", REUSING_QUESTIONS)
def test_question_reusing_an_articles_words_finds_it_first(fc, seed_ids, question, key, mode):
    top = fc.search(question, k=3, mode=mode)[0]
    assert top.doc_id == seed_ids[key]


@pytest.mark.parametrize("question", ["智谱2025年上半年的净亏损是多少？", "智譜的股票代碼是多少？", "智谱IPO引入多少家基石投资者？"])
def test_chinese_questions_get_a_real_lexical_weight(fc, question):
    query = fc.searcher.prepare(question)
    assert query.lexical_weight > 0.2
    assert query.tokens


@pytest.mark.parametrize(
    "question",
    ["What was the company's revenue last year?", "How many customers does the firm serve?"],
)
def test_english_questions_over_chinese_articles_get_lexical_weight_only_through_the_bridge(fc, question):
    # The BM25 weight follows the share of the question's words the corpus contains, in the
    # question's words or (at cross_bridge_weight: the corpus holds no English) in their
    # dictionary translations.
    searcher = fc.searcher
    query = searcher.prepare(question)
    assert query.crossing
    assert query.bridged and all(has_cjk(w) and w in fc.index.lexical.idf for group in query.bridged for w in group)
    assert 0 < query.lexical_weight <= searcher.lexical_weight * searcher.cross_bridge_weight + 1e-9
    closed = HybridSearcher(fc.index, fc.embedder, searcher.lexical_weight, bridge_weight=0.0, cross_bridge_weight=0.0)
    assert closed.prepare(question).lexical_weight < 0.1 and not closed.prepare(question).bridged


def test_the_bridge_finds_the_chinese_passage_for_an_english_word(fc):
    # "revenue" is 营收/收入 in the articles: the bridged BM25 ranks a passage with those words
    query = fc.searcher.prepare("What was the company's revenue last year?")
    scores = fc.index.lexical.term_scores([w for group in query.bridged for w in group])
    best = fc.index.chunks[int(scores.argmax())].text
    assert "营收" in best or "收入" in best or "營收" in best


def test_a_two_language_synonym_group_of_the_lexicon_outweighs_the_dictionarys_senses(fc):
    # CC-CEDICT glosses 保证金 as "margin"; the lexicon's [synonyms] says "gross margin" is 毛利率
    from retriever.bridge import translate

    idf = fc.index.lexical.idf
    assert "毛利率" in idf and "保证金" in idf
    groups = translate(["gross", "margin", "rate"], idf).groups
    assert groups[0] == ("毛利率",) and not any("保证金" in g for g in groups)


@pytest.mark.parametrize(
    "english, chinese",
    [("What was Zhipu's revenue in 2024?", "智谱2024年的收入是多少？"),
     ("What is Zhipu's stock code?", "智谱的股票代码是多少？")],
)
def test_english_questions_weigh_bm25_no_more_than_chinese_ones(fc, english, chinese):
    # the English question's glosses count as full words (cross_bridge_weight 1.0): at most as
    # much as the Chinese question's own words, less when glosses weigh less than words
    searcher = fc.searcher
    assert searcher.prepare(english).lexical_weight <= searcher.prepare(chinese).lexical_weight
    halved = HybridSearcher(fc.index, fc.embedder, searcher.lexical_weight, cross_bridge_weight=0.5)
    assert halved.prepare(english).lexical_weight < halved.prepare(chinese).lexical_weight


@pytest.mark.parametrize(
    "simplified, traditional",
    [
        ("智谱2025年上半年的净亏损是多少？", "智譜2025年上半年的淨虧損是多少？"),
        ("智谱2025年上半年的净亏损是多少？", "智譜2025年上半年的凈虧損是多少？"),
        ("智谱的股票代码是多少？", "智譜的股票代碼是多少？"),
        ("智谱上市首日开盘价是多少港元？", "智譜上市首日開盤價是多少港元？"),
        ("智谱香港公开发售超额认购多少倍？", "智譜香港公開發售超額認購多少倍？"),
        ("智谱成立于哪一年？", "智譜成立於哪一年？"),
        ("唐杰教授团队研发了什么系统？", "唐傑教授團隊研發了什麼系統？"),
    ],
)
def test_traditional_and_simplified_questions_find_the_same_top_doc(fc, simplified, traditional):
    for mode in ("hybrid", "lexical"):
        a = fc.search(simplified, k=1, mode=mode)[0]
        b = fc.search(traditional, k=1, mode=mode)[0]
        assert a.doc_id == b.doc_id, mode
    assert fc.searcher.prepare(simplified).tokens == fc.searcher.prepare(traditional).tokens


def test_script_converted_questions_find_the_same_top_doc(fc):
    # The same check with OpenCC's s2t as the translator, over more questions.
    questions = [q for q, _ in REUSING_QUESTIONS] + ["智谱2024年收入是多少？", "智谱的企业客户有多少家？"]
    for question in questions:
        simplified = display_script(question, "Simplified")
        traditional = display_script(question, "Traditional")
        assert fc.search(simplified, k=1)[0].doc_id == fc.search(traditional, k=1)[0].doc_id, question


def test_lexical_mode_finds_nothing_for_words_outside_the_corpus(fc):
    # in neither language: no word of it, nor a translation, is in the articles
    assert fc.search("Louvre Paris museum", k=5, mode="lexical") == []
    # the dense side still answers with something
    assert len(fc.search("Louvre Paris museum", k=5, mode="dense")) == 5


def test_k_is_capped_by_the_corpus_and_zero_gives_nothing(small_index, use_embedder):
    _, index = small_index
    searcher = HybridSearcher(index, use_embedder)
    n = len(index.chunks)
    assert n < 10
    passages = searcher.search("图书馆", k=50)
    assert len(passages) == n and [p.rank for p in passages] == list(range(1, n + 1))
    assert searcher.search("图书馆", k=0) == []


def test_small_corpus_top_documents(small_index, use_embedder):
    _, index = small_index
    searcher = HybridSearcher(index, use_embedder)
    assert searcher.search("青山市图书馆藏书多少册？", k=1)[0].doc_id == "library"
    assert searcher.search("海風航運公司的淨虧損是多少？", k=1)[0].doc_id == "harbor"
    assert searcher.search("How long is the Red River bridge?", k=1, mode="dense")[0].doc_id == "bridge"


def test_searcher_refuses_an_embedder_the_index_was_not_built_with(seeds_index):
    class Other:
        name = "e5-small"
        dim = 384

    from index.errors import IndexStaleError

    with pytest.raises(IndexStaleError) as info:  # a FactCheckError: the CLI shows it as one line
        HybridSearcher(seeds_index, Other())
    assert "use-m" in str(info.value) and "factcheck index" in str(info.value)


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\x00\x01"])
def test_search_refuses_empty_questions(fc, question):
    with pytest.raises(QuestionError):
        fc.search(question)


@pytest.mark.parametrize("question", ["？？？", "!!!", "……"])
def test_questions_of_only_symbols_are_refused(fc, question):
    # QuestionError's own contract: "The question cannot be searched (empty, or nothing but symbols)".
    with pytest.raises(QuestionError):
        fc.search(question)


# A document that names its subject only in its first sentence, and another that names a different
# harbour beside the same words. Invented; long enough that the breakwater sentence is a chunk of
# its own, away from the first sentence.
_FILLER = (
    "Fishing boats land cod and herring there every morning of the season. "
    "A small museum near the market shows old nets, lamps and photographs. "
    "The village school has about two hundred pupils and a choir. "
    "Ferries to the outer islands run twice a day in summer. "
    "Most houses along the front were built of grey stone. "
    "A lifeboat station was opened by volunteers long ago. "
)
LEAD_CORPUS = {
    "kestrel.txt": "Kestrel Harbour is a fishing port on the northern coast. " + _FILLER + _FILLER
    + "Its breakwater was extended to 640 metres in 1931.\n",
    "arnholt.txt": "The ferry company published a new timetable. "
    "Arnholt Harbour saw its breakwater extended to 410 metres in 1978.\n",
}
LEAD_QUESTION = "When was the Kestrel Harbour breakwater extended?"


@pytest.fixture(scope="module")
def lead_fc(checker_for):
    return checker_for("lead", LEAD_CORPUS)


def _breakwater_chunk(fc) -> int:
    ids = fc.index.chunks.of_document("kestrel").tolist()
    found = [c for c in ids if "1931" in fc.index.chunks[c].text]
    assert found and "Kestrel" not in fc.index.chunks[found[0]].text, "the fixture must leave the subject out"
    return found[0]


def test_a_passage_holds_the_question_words_of_its_documents_first_sentence(lead_fc):
    # The breakwater passage lacks "Kestrel" and "Harbour"; its document's first sentence has both:
    # its lexical score gains lead_weight x the first chunk's BM25 weight for them, no more.
    searcher = lead_fc.searcher
    assert searcher.lead_weight > 0
    chunk = _breakwater_chunk(lead_fc)
    lead = int(lead_fc.index.chunks.of_document("kestrel")[0])
    query = searcher.prepare(LEAD_QUESTION)
    scores = {p.chunk_id: p.lexical_score for p in searcher.search(query, k=10, mode="lexical")}
    lexical = lead_fc.index.lexical
    own = float(lexical.term_scores(list(searcher.lexical_query(query).terms))[chunk])
    carried = float(lexical.term_scores(["kestrel", "harbour"])[lead])
    assert carried > 0
    assert scores[chunk] == pytest.approx(own + searcher.lead_weight * carried, rel=1e-5)
    # the first chunk itself, and the other document (whose first sentence names no harbour), gain nothing
    assert scores[lead] == pytest.approx(float(lexical.term_scores(list(searcher.lexical_query(query).terms))[lead]))
    other = int(lead_fc.index.chunks.of_document("arnholt")[0])
    assert scores[other] == pytest.approx(float(lexical.term_scores(list(searcher.lexical_query(query).terms))[other]))


def test_the_first_sentence_brings_the_subjects_passage_above_another_subjects(lead_fc):
    # Without the first sentence, "Arnholt Harbour ... breakwater extended" shares more of the
    # question's words than "Its breakwater was extended"; carried at full weight, Kestrel's wins.
    chunk = _breakwater_chunk(lead_fc)
    index, embedder = lead_fc.index, lead_fc.embedder
    without = HybridSearcher(index, embedder, lead_weight=0.0).search(LEAD_QUESTION, k=5, mode="lexical")
    assert without[0].doc_id == "arnholt"
    full = HybridSearcher(index, embedder, lead_weight=1.0).search(LEAD_QUESTION, k=5, mode="lexical")
    assert full[0].chunk_id == chunk


def test_term_weights_are_the_bm25_weights_term_scores_adds(lead_fc):
    lexical = lead_fc.index.lexical
    ids = np.arange(len(lead_fc.index.chunks))
    terms = ["kestrel", "breakwat", "harbour", "nowhere-in-corpus"]
    weights = lead_fc.index.vectors.term_weights(terms, ids)
    assert weights.shape == (len(ids), len(terms))
    for j, term in enumerate(terms):
        np.testing.assert_allclose(weights[:, j], lexical.term_scores([term]), rtol=1e-6)
    np.testing.assert_allclose(lead_fc.index.vectors.term_weights(terms, ids[::-1]), weights[::-1])


# A number the question writes in digits and the article in words (or the other way round, or in
# Chinese numerals): the lexical side holds it as one term of its digits. Invented.
NUMBER_CORPUS = {
    "dunmore.txt": "Some ten thousand people came to the autumn fair at Dunmore.\n",
    "ferry.txt": "The ferry timetable changed in spring, with two crossings a day.\n",
}


@pytest.fixture(scope="module")
def number_fc(checker_for):
    return checker_for("numbers", NUMBER_CORPUS)


@pytest.mark.parametrize("question", ["Which town counted 10,000 visitors?", "哪个镇有一万名访客？"])
def test_a_number_finds_the_passage_that_writes_it_another_way(number_fc, question):
    # "town", "counted", "visitors" are in no article: the number alone carries the lexical side
    found = number_fc.search(question, k=2, mode="lexical")
    assert [p.doc_id for p in found] == ["dunmore"]
    assert found[0].lexical_score > 0
