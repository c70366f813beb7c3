"""Property tests (hypothesis) over everything that takes arbitrary text: the question path
(FactChecker.ask / search on the session's seeds index), the normaliser, the chunker and the
value reader and the claim assembler; plus explicit edge cases (empty and 100,000-character questions, a
100,000-character single-line document).

Arbitrary here means any code point: control characters, lone surrogates, emoji,
combining marks, private use, mixed scripts.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from index import CorpusError, FactCheckError, Settings, build_index, load_index
from index.chunks import chunk_documents
from index.claims import sentence_claims
from index.corpus import content_spans, read_document
from index.text import MAX_SENTENCE_CHARS, fold, normalise, sentence_spans, tokenize
from index.values import parse_values
from retriever import FactChecker
from retriever.factchecker import MAX_QUESTION_CHARS, QuestionError

VERDICTS = {"consistent", "single_source", "conflict", "quoted", "not_found"}

# --------------------------------------------------------------------------- strategies

#: every code point, lone surrogates included (hypothesis leaves out "Cs" by default)
ANY_CHAR = st.characters(blacklist_categories=())
ANY_TEXT = st.text(alphabet=ANY_CHAR, max_size=120)

FRAGMENTS = [
    "智谱", "智譜", "2024年", "上半年", "净亏损", "淨虧損", "收入", "估值", "是多少", "？", "?", "。", "，",
    "What was", "Zhipu's", "revenue", "in 2024", "IPO", "港股", "3.12亿元", "约", "超过", "%", "万家",
    "😀", "🇭🇰", "👩‍💻", "\u200b", "\ufeff", "\u0301", "\x00", "\x07", "\x1b[31m", "\r\n", "\t", "\ud800", "\udfff",
    "\ue000", "<script>alert(1)</script>", "**粗体**", "![](x.png)", "Ωμέγα", "مرحبا", "שלום", "한국어", "日本語",
    "ｆｕｌｌｗｉｄｔｈ", "１２３", "\u3000", "  ", "\n",
]
MIXED = st.lists(st.one_of(st.sampled_from(FRAGMENTS), ANY_TEXT.map(lambda s: s[:8])), max_size=14).map("".join)
QUESTIONS = st.one_of(ANY_TEXT, MIXED)

CHINESE_PIECES = [
    "智谱华章", "2025年上半年", "净亏损为23.58亿元", "收入3.12亿元", "同比增长325%", "。", "！", "？", "；", "，",
    "\n", "\n\n", "  ", "约", "超过", "第一", "万家企业客户", "紅河大橋", "全長3.2公里", "IPO", "Zhipu AI",
    "![](a.png)", "免责声明：仅供参考", "😀", "\u3000", "ａｂｃ", "（图：Shutterstock）", "…", "——", "\t", "\r\n",
]
DOC_TEXT = st.lists(st.one_of(st.sampled_from(CHINESE_PIECES), st.text(alphabet=ANY_CHAR, max_size=6)),
                    min_size=1, max_size=60).map("".join)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --------------------------------------------------------------------------- question path


def check_answer(fc: FactChecker, answer, k: int) -> None:  # type: ignore[no-untyped-def]
    data = answer.to_dict()
    dumped = json.dumps(data, ensure_ascii=False)
    dumped.encode("utf-8")  # no lone surrogate travels to a terminal or over HTTP
    json.loads(json.dumps(data))
    assert answer.verdict in VERDICTS
    assert len(answer.question) <= MAX_QUESTION_CHARS
    docs = fc.index.documents
    for c in answer.citations:
        doc = docs[c.doc_id]
        assert doc.text[c.start:c.end] == c.quote, c
        assert c.quote and f"[{c.n}]" in answer.text
        if c.value:
            assert doc.text[c.value_start:c.value_end] == c.value
            assert c.start <= c.value_start < c.value_end <= c.end
    if answer.verdict == "not_found":
        assert answer.citations == []
    for p in answer.passages:
        assert docs[p.doc_id].text[p.start:p.end] == p.text
    # the k retrieved passages, then any a fact-check pulled in from deeper (ranked after them)
    ranks = [p.rank for p in answer.passages]
    assert len(ranks) == len(set(ranks)) and all(r >= 1 for r in ranks)
    head = [r for r in ranks if r <= k]
    assert head == list(range(1, len(head) + 1))
    by_rank = {p.rank: p for p in answer.passages}
    for c in answer.citations:  # the passage a citation names is shown, and is the one it quotes from
        p = by_rank[c.passage_rank]
        assert (p.doc_id, p.chunk_id) == (c.doc_id, c.chunk_id), (c, p)


def check_passages(fc: FactChecker, passages, k: int) -> None:  # type: ignore[no-untyped-def]
    assert len(passages) <= k
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    for p in passages:
        doc = fc.index.documents[p.doc_id]
        assert doc.text[p.start:p.end] == p.text
        for _sid, s, e in p.sentences:
            assert p.start <= s <= e <= p.end
        json.dumps(p.to_dict(), ensure_ascii=False).encode("utf-8")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=QUESTIONS, k=st.integers(min_value=1, max_value=8))
@example(question="\ud800", k=5)
@example(question="智谱\ud800的估值\udfff是多少？", k=5)
@example(question="\x00\x01\x02智谱2024年收入\x7f", k=3)
@example(question="😀🎉🇭🇰", k=5)
@example(question="智譜 Zhipu 估值 valuation は？", k=5)
@example(question="\u202e智谱的收入\u202c", k=5)
def test_ask_never_fails_on_arbitrary_text(fc, question, k):
    try:
        answer = fc.ask(question, k=k)
    except QuestionError as exc:
        assert isinstance(exc, FactCheckError) and str(exc)
        return
    check_answer(fc, answer, k)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=QUESTIONS, k=st.integers(min_value=1, max_value=10),
       mode=st.sampled_from(["hybrid", "dense", "lexical"]))
@example(question="\udfff\ud800", k=5, mode="hybrid")
@example(question="智谱\u0000收入", k=5, mode="lexical")
def test_search_never_fails_on_arbitrary_text(fc, question, k, mode):
    try:
        passages = fc.search(question, k=k, mode=mode)
    except QuestionError as exc:
        assert isinstance(exc, FactCheckError) and str(exc)
        return
    if mode != "lexical":  # lexical search returns only passages sharing a word
        assert passages, question  # a searchable question always gets passages
    check_passages(fc, passages, k)


@pytest.mark.parametrize("question", ["", " ", "\n\t ", "\x00", "\x00\x01\x1f", "\ud800", "\ud800\udfff", "？？？", "😀",
                                      "\u200b", "...!!!", "\ue000"])
def test_empty_or_symbol_only_questions_are_question_errors(fc, question):
    for call in (fc.ask, fc.search):
        try:
            result = call(question)
        except QuestionError as exc:
            assert "question" in str(exc).lower()
            continue
        # a few of these contain a letter by Unicode's rules (e.g. private use does not): then answer properly
        if call is fc.ask:
            check_answer(fc, result, 5)
        else:
            check_passages(fc, result, 5)


@pytest.mark.parametrize("question", [None, 42, b"\xe6\x99\xba\xe8\xb0\xb1", ["智谱"]])
def test_non_text_questions_are_question_errors(fc, question):
    with pytest.raises(QuestionError):
        fc.ask(question)
    with pytest.raises(QuestionError):
        fc.search(question)


@pytest.mark.parametrize("kind", ["chinese", "random", "one word", "english"])
def test_a_question_over_the_limit_is_refused_quickly(fc, kind):
    question = {
        "chinese": ("智谱2025年上半年的净亏损是多少？" * 7000)[:100_000],
        "random": "".join(chr(0x4E00 + (i * 7919) % 20000) if i % 5 else "，" for i in range(100_000)),
        "one word": "智" * 100_000,
        "english": ("What was Zhipu's revenue in 2024? " * 3000)[:100_000],
    }[kind]
    started = time.perf_counter()
    for call in (fc.ask, fc.search):
        with pytest.raises(QuestionError, match="limit"):
            call(question)
    assert time.perf_counter() - started < 1.0
    answer = fc.ask(question[:MAX_QUESTION_CHARS])  # the longest question allowed is answered
    check_answer(fc, answer, 5)


# --------------------------------------------------------------------------- hostile text: linear time

#: runs that once made a reader superlinear (catastrophic backtracking on spaces, a scan of every
#: value read so far for each new one) and their neighbours
PATHOLOGICAL = {
    "spaces": " ", "digits": "1", "万万": "万", "1.1.1": "1.", "1,1,1": "1,", "1 1 1": "1 ", "1-1-": "1-",
    "1~1~": "1~", "3亿3亿": "3亿", "一二三": "一二三", "2020年1月": "2020年1月", "上半年": "上半年", "1871年": "1871年",
    "first half": "first half ", "H1": "H1 ", "In 1939,": "In 1939, ", "March 5, 1999": "March 5, 1999 ",
    "1 million": "1 million ", "between": "between 1 and 2 ", "1–2%": "1–2% ", "about": "about ", "and": "and ",
    "2026/1/8": "2026/1/8 ", "zero-width": "3\u200b5亿元", "bidi": "\u202e12亿元\u202c",
}


def _read_everything(text: str) -> None:
    for language in ("zh", "en"):
        parse_values(text, "2025-07-01", language)
    sentence_claims("d", 0, 0, text, "2025-07-01")
    tokenize(text)
    list(sentence_spans(text, 0, len(text)))
    content_spans(text)


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_readers_take_linear_time_on_pathological_text(name):
    # Each reader of document text over one unbroken run, at two lengths: a quadratic step shows as
    # ~16x the time for 4x the text. Noise on a shared machine is tolerated: it fails only when the
    # run is both slow (over 2 s) and superlinear (over 10x), or pathologically slow (over 30 s).
    piece = PATHOLOGICAL[name]
    times = []
    for length in (25_000, 100_000):
        text = ("营收" + piece * (length // len(piece)))[:length]
        started = time.perf_counter()
        _read_everything(text)
        times.append(time.perf_counter() - started)
    short, long = times
    assert long < 30, f"{long:.1f}s for 100,000 characters of {name!r}"
    assert long < 2 or long < 10 * max(short, 0.05), f"{short:.2f}s → {long:.2f}s for 4x the text: superlinear"


@pytest.mark.parametrize("line", ["ab\n", "营收五亿\n", "a\n\n", "1.\n"])
def test_chunking_takes_linear_time_on_many_short_lines(line):
    # 200,000 short lines once took 87 s (each chunk searched all sentences of its block)
    from index.corpus import Document

    times = []
    for count in (50_000, 200_000):
        text = line * count
        started = time.perf_counter()
        doc = Document("d", "d.txt", text, "0", "utf-8", "Simplified", content_spans=content_spans(text))
        chunks, sentences = chunk_documents([doc], 220, 60)
        times.append(time.perf_counter() - started)
        assert all(text[c.start:c.end] == c.text for c in chunks[:50])
    short, long = times
    assert long < 60, f"{long:.1f}s for 200,000 lines"
    assert long < 2 or long < 10 * max(short, 0.05), f"{short:.2f}s → {long:.2f}s for 4x the lines: superlinear"


# --------------------------------------------------------------------------- normaliser


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
@example("\ud800")
@example("a\udfffb\ud800")
@example("\U0001F600\u200d\U0001F4BB")
@example("ＡＢＣ\u3000１２３")
@example("於於於後臺麵")
def test_fold_keeps_length_on_every_code_point(text):
    folded = fold(text)
    assert len(folded) == len(text)
    assert _encodable(folded)  # lone surrogates are replaced, one for one


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_normalise_and_tokenize_never_raise(text):
    normal = normalise(text)
    assert isinstance(normal, str) and _encodable(normal)
    assert normal == normal.strip()
    tokens = tokenize(text)
    assert isinstance(tokens, list)
    for token in tokens:
        assert isinstance(token, str) and token and token == token.strip()
        assert any(c.isalnum() for c in token)


@settings(max_examples=200, deadline=None)
@given(DOC_TEXT)
def test_sentence_spans_slice_back_on_any_text(text):
    previous = 0
    for start, end in sentence_spans(text):
        assert previous <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        previous = end


# --------------------------------------------------------------------------- chunker


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=DOC_TEXT, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030"]),
       size_overlap=st.sampled_from([(20, 0), (40, 10), (80, 30), (220, 60)]))
@example(text="智谱" * 300, encoding="utf-8", size_overlap=(40, 10))
@example(text="第一段。\r\n\r\n第二段！\r第三段？", encoding="utf-8", size_overlap=(20, 0))
def test_chunks_of_documents_read_from_files_slice_back(text, encoding, size_overlap):
    size, overlap = size_overlap
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:  # lone surrogates cannot be written to a file
        assume(False)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.txt"
        path.write_bytes(data)
        try:
            doc = read_document(path)
        except CorpusError as exc:
            assert "doc.txt" in str(exc)  # refused with a message naming the file
            return
    if encoding.startswith("utf-8"):
        assert doc.text == text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff") or \
            doc.text == text.replace("\r\n", "\n").replace("\r", "\n")
    assert doc.content_spans == content_spans(doc.text)
    chunks, sentences = chunk_documents([doc], size, overlap)
    assert chunks and sentences
    for s in sentences:
        assert doc.text[s.start:s.end] == s.text and s.text
        assert any(b0 <= s.start and s.end <= b1 for b0, b1 in doc.content_spans)
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text
        # whole sentences (capped at MAX_SENTENCE_CHARS); one longer than a chunk stands alone
        assert 0 < len(c.text) <= size * 2.5 or (len(c.sentence_ids) == 1 and len(c.text) <= MAX_SENTENCE_CHARS)
        assert c.sentence_ids
        for sid in c.sentence_ids:
            s = sentences[sid]
            assert s.start < c.end and s.end > c.start
    # every sentence is in some chunk
    covered = {sid for c in chunks for sid in c.sentence_ids}
    assert covered == {s.sentence_id for s in sentences}
    for prev, nxt in zip(chunks, chunks[1:]):
        assert prev.start < nxt.start or prev.end <= nxt.start  # in order, not repeated


# --------------------------------------------------------------------------- claim parser


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, DOC_TEXT), st.one_of(st.none(), st.dates().map(str), st.text(max_size=12)))
@example("约3.12亿元，超过\ud800 8000家", "2026-01-08")
@example("今(8)日智谱营收增长325%", "not a date")
@example("负-0.5亿元" * 50, None)
def test_value_reader_and_claims_never_raise_and_spans_are_exact(text, date):
    date = date if isinstance(date, str) else None
    for v in parse_values(text, date):
        assert 0 <= v.start < v.end <= len(text)
        assert text[v.start:v.end] == v.text
        assert v.low <= v.high
    for claim in sentence_claims("d", 0, 10, text, date):
        assert text[claim.value.start - 10:claim.value.end - 10] == claim.text
        assert claim.context[0] <= claim.value.start and claim.value.end <= claim.context[1] + 10
        json.dumps(claim.to_dict(), ensure_ascii=False)


# --------------------------------------------------------------------------- a 100,000-character line


def _long_line(kind: str) -> str:
    if kind == "sentences":  # a scraped article with its newlines lost
        pieces = ["智谱华章2025年上半年营收为1.91亿元，同比增长325%。", "公司净亏损23.58亿元。",
                  "紅河大橋全長3.2公里，於2021年通車。", "Zhipu AI listed in Hong Kong on January 8. "]
        text = "".join(pieces[i % len(pieces)] for i in range(5000))
    else:  # a table flattened into one line: numbers and commas, no sentence end
        text = "".join(f"第{i}项收入为{i % 97}.{i % 10}亿元，" for i in range(20000))
    return text[:100_000]


def test_a_100000_character_single_line_document_is_indexable(tmp_path, use_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    line = _long_line("sentences")
    assert len(line) == 100_000 and "\n" not in line
    (corpus / "long.txt").write_text(line, encoding="utf-8")
    (corpus / "short.txt").write_text("青山市图书馆于2018年正式开放，藏书超过120万册。\n", encoding="utf-8")
    settings_ = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    started = time.perf_counter()
    index, problems = build_index(settings_, use_embedder, progress=False)
    elapsed = time.perf_counter() - started
    assert problems == []
    assert elapsed < 120, f"{elapsed:.0f}s to index 100,000 characters"
    doc = index.documents["long"]
    assert doc.text == line
    long_chunks = [c for c in index.chunks if c.doc_id == "long"]
    assert len(long_chunks) >= 100_000 // settings_.chunk_size
    for c in long_chunks:  # whole sentences; one longer than a chunk is a chunk of its own
        assert 0 < len(c.text) <= max(settings_.chunk_size, MAX_SENTENCE_CHARS)
        assert doc.text[c.start:c.end] == c.text
    assert max(c.end for c in long_chunks) == len(line)
    load_index(tmp_path / "index")
    fc = FactChecker.load(index_dir=tmp_path / "index", rebuild=False)
    answer = fc.ask("紅河大橋全長多少公里？")
    check_answer(fc, answer, 5)
    assert any(c.doc_id == "long" for c in answer.citations)
    assert all(len(c.quote) < 1000 for c in answer.citations)


@pytest.mark.slow
def test_a_100000_character_line_without_sentence_ends_indexes_in_bounded_time(tmp_path, factcheck_exe):
    # One "sentence" of 100,000 characters full of figures (a flattened table): sentence
    # splitting and chunking must stay near-linear. Run as a subprocess so a regression fails
    # after the time limit instead of hanging the suite.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    line = _long_line("table")
    assert len(line) == 100_000 and not any(c in line for c in "。！？\n")
    (corpus / "table.txt").write_text(line, encoding="utf-8")
    limit = 60
    started = time.perf_counter()
    try:
        result = subprocess.run([str(factcheck_exe), "index", "--corpus", str(corpus), "--index", str(tmp_path / "index")],
                                capture_output=True, text=True, timeout=limit, env=dict(os.environ))
    except subprocess.TimeoutExpired:
        pytest.fail(f"indexing one 100,000-character line took over {limit}s (indexing is superlinear)")
    assert result.returncode == 0, result.stderr[-2000:]
    index = load_index(tmp_path / "index")
    assert all(len(c.text) <= max(220, MAX_SENTENCE_CHARS) for c in index.chunks)
    assert time.perf_counter() - started < limit
