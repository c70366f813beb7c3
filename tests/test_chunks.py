"""index.chunks: sentences and overlapping chunks whose offsets point into the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index import chunk_documents
from index.chunks import LATIN_SIZE_FACTOR, Chunk
from index.corpus import Document, content_spans
from index.text import has_cjk, sentence_spans

SIZES = [(220, 60), (80, 20), (40, 0), (500, 100)]


def _doc(text: str, doc_id: str = "d") -> Document:
    return Document(doc_id, f"{doc_id}.txt", text, "0" * 64, "utf-8", "Simplified", content_spans=content_spans(text))


def _check_invariants(documents, chunks, sentences, size):
    """Every property a chunking must have; returns nothing, asserts everything."""
    docs = {d.doc_id: d for d in documents}
    starts = {(s.doc_id, s.start) for s in sentences}
    ends = {(s.doc_id, s.end) for s in sentences}
    # offsets slice back
    for chunk in chunks:
        doc = docs[chunk.doc_id]
        assert doc.text[chunk.start:chunk.end] == chunk.text, chunk
        limit = size if has_cjk(doc.text[:4000]) else int(size * LATIN_SIZE_FACTOR)
        # whole sentences: one longer than a chunk is a chunk of its own
        assert 0 < len(chunk.text) <= limit or len(chunk.sentence_ids) == 1, (len(chunk.text), size)
        assert (chunk.doc_id, chunk.start) in starts and (chunk.doc_id, chunk.end) in ends, chunk
        assert chunk.text == chunk.text.strip()
        # a chunk never crosses a block boundary (furniture or a blank line)
        assert any(s <= chunk.start and chunk.end <= e for s, e in doc.content_spans), chunk
    for sentence in sentences:
        assert docs[sentence.doc_id].text[sentence.start:sentence.end] == sentence.text
    # ids are global and consecutive
    assert [c.chunk_id for c in chunks] == list(range(len(chunks)))
    assert [s.sentence_id for s in sentences] == list(range(len(sentences)))
    by_id = {s.sentence_id: s for s in sentences}
    for chunk in chunks:
        # listed sentences belong to the chunk's document and overlap it, in order
        assert list(chunk.sentence_ids) == sorted(chunk.sentence_ids)
        for sid in chunk.sentence_ids:
            s = by_id[sid]
            assert s.doc_id == chunk.doc_id and s.start < chunk.end and s.end > chunk.start
        # every non-space character of the chunk lies in one of its listed sentences
        covered = set()
        for sid in chunk.sentence_ids:
            covered.update(range(by_id[sid].start, by_id[sid].end))
        text = docs[chunk.doc_id].text
        missing = [i for i in range(chunk.start, chunk.end) if not text[i].isspace() and i not in covered]
        assert not missing, (chunk.chunk_id, missing[:5])


def _check_blocks_covered(documents, chunks, sentences):
    """Consecutive chunks of a block overlap or touch, and the chunks cover every sentence."""
    for doc in documents:
        doc_chunks = [c for c in chunks if c.doc_id == doc.doc_id]
        for block_start, block_end in doc.content_spans:
            in_block = [c for c in doc_chunks if block_start <= c.start and c.end <= block_end]
            assert in_block, (doc.doc_id, block_start)
            assert in_block[0].start == block_start and in_block[-1].end == block_end
            for a, b in zip(in_block, in_block[1:]):
                assert a.start < b.start, (a.chunk_id, b.chunk_id)
                # overlap (b starts inside a) or touch (only whitespace between)
                assert b.start <= a.end or doc.text[a.end:b.start].strip() == "", (a.chunk_id, b.chunk_id)
        covered = set()
        for c in doc_chunks:
            covered.update(range(c.start, c.end))
        for s in (s for s in sentences if s.doc_id == doc.doc_id):
            lost = [i for i in range(s.start, s.end) if i not in covered and not doc.text[i].isspace()]
            assert not lost, (doc.doc_id, s.text)


@pytest.mark.parametrize("size, overlap", SIZES)
def test_seed_chunks_and_sentences_point_into_the_originals(seed_corpus, size, overlap):
    documents, _ = seed_corpus
    chunks, sentences = chunk_documents(documents, size, overlap)
    assert len(chunks) > len(documents)
    _check_invariants(documents, chunks, sentences, size)


@pytest.mark.parametrize("size, overlap", SIZES)
def test_seed_chunks_cover_every_sentence(seed_corpus, size, overlap):
    documents, _ = seed_corpus
    chunks, sentences = chunk_documents(documents, size, overlap)
    _check_blocks_covered(documents, chunks, sentences)


def test_sentences_lie_inside_content_spans(seed_corpus):
    documents, _ = seed_corpus
    _, sentences = chunk_documents(documents, 220, 60)
    docs = {d.doc_id: d for d in documents}
    for s in sentences:
        assert any(b <= s.start and s.end <= e for b, e in docs[s.doc_id].content_spans)


def test_index_chunks_match_their_documents(seeds_index):
    # The chunks that were written to disk and loaded back, not only fresh ones.
    documents = list(seeds_index.documents.values())
    settings = seeds_index.manifest["chunker"]
    _check_invariants(documents, seeds_index.chunks, seeds_index.sentences, settings["size"])
    _check_blocks_covered(documents, seeds_index.chunks, seeds_index.sentences)


def test_short_sentences_fit_in_one_chunk(seed_corpus):
    documents, _ = seed_corpus
    chunks, sentences = chunk_documents(documents, 220, 60)
    for s in sentences:
        if len(s.text) <= 100:
            assert any(c.doc_id == s.doc_id and c.start <= s.start and s.end <= c.end for c in chunks), s.text


def test_first_ids_are_respected(seed_corpus):
    documents, _ = seed_corpus
    chunks, sentences = chunk_documents(documents[:1], 220, 60, first_sentence_id=100, first_chunk_id=7)
    assert chunks[0].chunk_id == 7 and sentences[0].sentence_id == 100
    assert all(100 <= sid < 100 + len(sentences) for c in chunks for sid in c.sentence_ids)


def test_chunk_dict_round_trip(seeds_index):
    for chunk in seeds_index.chunks[:20]:
        assert Chunk.from_dict(chunk.to_dict()) == chunk


def test_repeated_paragraph_is_chunked_in_full(seed_docs, seed_ids):
    # Scraped pages often repeat a paragraph (a lede shown twice, a pull quote).
    # Both copies are text of the document and must be covered by chunks.
    lede = next(line for line in seed_docs[seed_ids["001"]].text.split("\n") if len(line) > 100)
    doc = _doc(lede + "\n" + lede + "\n")
    chunks, sentences = chunk_documents([doc], 220, 60)
    _check_invariants([doc], chunks, sentences, 220)
    _check_blocks_covered([doc], chunks, sentences)


def test_repeated_table_rows_are_chunked_in_full():
    rows = "\n".join(["| 2024年 | 营收3.12亿元 | 亏损29.58亿元 |"] * 30)
    doc = _doc(rows)
    chunks, sentences = chunk_documents([doc], 220, 60)
    _check_invariants([doc], chunks, sentences, 220)
    _check_blocks_covered([doc], chunks, sentences)


_PIECES = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40), min_size=1, max_size=30),
        st.sampled_from(["。", "！", "？", "；", "，", "\n", "\n\n", " ", "3.124", "![]()\n", "AI "]),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(_PIECES, st.sampled_from([(30, 0), (30, 10), (60, 20), (120, 40)]))
def test_random_documents_keep_offsets_and_sizes(pieces, size_overlap):
    text = "".join(pieces)
    if not content_spans(text):
        return
    size, overlap = size_overlap
    doc = _doc(text)
    chunks, sentences = chunk_documents([doc], size, overlap)
    _check_invariants([doc], chunks, sentences, size)


def test_english_sentences_end_at_full_stops_not_at_abbreviations_or_decimals():
    text = ("The U.S. Army sent Dr. Li to St. Louis at 3 p.m. The mission cost $3.5 million. "
            "He said e.g. the test failed. J. R. R. Tolkien wrote it in 1937. Is it done? Yes!")
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "The U.S. Army sent Dr. Li to St. Louis at 3 p.m.", "The mission cost $3.5 million.",
        "He said e.g. the test failed.", "J. R. R. Tolkien wrote it in 1937.", "Is it done?", "Yes!"]


def test_chunks_never_end_inside_a_number():
    sentence = "Revenue rose 12.5% to $3.45 billion in fiscal 2024, the company said on March 5, 2025. "
    doc = _doc(sentence * 40)
    chunks, sentences = chunk_documents([doc], 60, 20)
    _check_invariants([doc], chunks, sentences, 60)
    for c in chunks:
        assert c.text.endswith("said on March 5, 2025."), c.text[-30:]


def test_chunking_is_linear_in_the_number_of_lines():
    # 200,000 short lines: mapping chunks to sentences must not be quadratic (it took 87 s)
    import time

    doc = _doc("\n".join(f"第{i}行。" for i in range(200_000)))
    started = time.perf_counter()
    chunks, sentences = chunk_documents([doc], 220, 60)
    assert time.perf_counter() - started < 60
    assert len(sentences) == 200_000 and chunks
