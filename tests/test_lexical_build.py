"""The BM25 weights a build computes in arrays are bm25s' own, to the last bit, over several blocks."""

from __future__ import annotations

import numpy as np
import pytest

from index import lexical as lexical_module
from index.chunks import chunk_documents
from index.corpus import load_corpus
from index.lexical import EMPTY_CHUNK, LexicalIndex, _bm25s
from index.text import lexical_terms
from retriever.evaluation import TOPICS_DIR


@pytest.mark.parametrize("block", [7, 65536])
def test_from_ids_equals_bm25s(monkeypatch, block):
    monkeypatch.setattr(lexical_module, "LEXICAL_BLOCK", block)
    documents, _ = load_corpus(TOPICS_DIR / "corpus")
    chunks, _ = chunk_documents(documents, 220, 60)
    vocabulary: dict[str, int] = {}
    ids = [np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for t in lexical_terms(c.text)), dtype=np.int32)
           for c in chunks]
    ids.insert(3, np.zeros(0, dtype=np.int32))  # a chunk without terms
    ours = LexicalIndex.from_ids(ids, vocabulary)
    reference = _bm25s().BM25()
    vocab = dict(vocabulary)
    empty = vocab.setdefault(EMPTY_CHUNK, len(vocab))
    reference.index(([x.tolist() if len(x) else [empty] for x in ids], vocab), show_progress=False)
    for key in ("data", "indices", "indptr"):
        np.testing.assert_array_equal(ours._model.scores[key], reference.scores[key])
        assert ours._model.scores[key].dtype == reference.scores[key].dtype
    assert ours._model.scores["num_docs"] == reference.scores["num_docs"] == len(ids)
    for terms in (["营收"], ["earthquak", "tollbridg"], [EMPTY_CHUNK]):
        np.testing.assert_array_equal(ours.term_scores(terms), np.asarray(reference.get_scores(terms), np.float32))
