"""The lexical index: BM25 (bm25s) over the lexical terms of chunk text (jieba words of the
normalised text; English words stemmed, English stopwords dropped: :func:`index.text.lexical_terms`).

Questions are given as :func:`index.text.tokenize` tokens (the words as written); the index
keys them itself, so ``idf`` answers for "earthquakes" with the weight of "earthquak".
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np

from .tables import NPY_LOCK
from .text import _english_stopwords, content_tokens, lexical_key

BM25_DIR = "bm25"
#: bm25s wants a token in every chunk: an empty one gets this, which no question can produce
EMPTY_CHUNK = "\x00"
IDF_FILE = "idf.json"
#: chunks whose terms are counted at a time while the weights are computed
LEXICAL_BLOCK = 65536


def _bm25s():  # type: ignore[no-untyped-def]
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
    return bm25s


class Vocabulary(Mapping[str, float]):
    """The corpus' terms and their IDF, looked up by a word as written: ``"earthquakes" in vocab``
    is asked of its stem. Iterating gives the stored terms (stems, Chinese words)."""

    def __init__(self, idf: dict[str, float]) -> None:
        self._idf = idf

    def __getitem__(self, word: str) -> float:
        return self._idf[lexical_key(word)]

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and lexical_key(word) in self._idf

    def __iter__(self) -> Iterator[str]:
        return iter(self._idf)

    def __len__(self) -> int:
        return len(self._idf)

    def terms(self) -> dict[str, float]:
        """The stored ``{term: idf}``."""
        return self._idf

    def keys(self):  # type: ignore[no-untyped-def, override]
        return self._idf.keys()

    def values(self):  # type: ignore[no-untyped-def, override]
        return self._idf.values()

    def items(self):  # type: ignore[no-untyped-def, override]
        return self._idf.items()


def query_terms(tokens: Sequence[str]) -> list[str]:
    """The lexical terms of a question's tokens (English stopwords out, English words stemmed)."""
    stop = _english_stopwords()
    return [lexical_key(t) for t in tokens if t not in stop]


class LexicalIndex:
    """BM25 scores for token lists, plus the corpus vocabulary and its IDF.

    Args:
        model: a fitted ``bm25s.BM25``.
        idf: ``{token: idf}`` over chunks, for every token in the corpus.
    """

    def __init__(self, model, idf: dict[str, float], n_chunks: int,  # type: ignore[no-untyped-def]
                 term_ids: dict[str, int] | None = None) -> None:
        self._model = model  # None: the vocabulary only (the weights live elsewhere, e.g. in Milvus)
        self.idf = Vocabulary(idf)
        self.n_chunks = n_chunks
        self._term_ids = term_ids

    @classmethod
    def from_ids(cls, chunk_ids: Sequence[np.ndarray], vocabulary: dict[str, int]) -> "LexicalIndex":
        """The index of chunks given as term ids of ``vocabulary`` (``term → id``), as a build
        streams them.

        The weights are those ``bm25s.BM25().index(...)`` computes (Lucene BM25, k1 1.5, b 0.75,
        float32; equal to the last bit, tested), computed here in arrays: bm25s wants a Python list
        of ints per chunk, which at 1M chunks took 4 GB on top of the ids themselves.
        """
        from scipy.sparse import csr_matrix

        bm25s = _bm25s()

        vocab = dict(vocabulary)
        empty = vocab.setdefault(EMPTY_CHUNK, len(vocab))
        n, n_terms = len(chunk_ids), len(vocab)
        model = bm25s.BM25()
        k1, b = model.k1, model.b
        lengths = np.fromiter((len(ids) or 1 for ids in chunk_ids), dtype=np.int64, count=n)
        norms = k1 * ((1 - b) + b * lengths / lengths.mean()) if n else np.zeros(0)
        filler = np.array([empty], dtype=np.int32)  # bm25s wants a token in every chunk
        # each chunk's distinct terms and their counts, a block of chunks at a time
        cols, counts, indptr = [], [], [np.zeros(1, dtype=np.int64)]
        for at in range(0, n, LEXICAL_BLOCK):
            block = [ids if len(ids) else filler for ids in chunk_ids[at:at + LEXICAL_BLOCK]]
            local = np.repeat(np.arange(len(block), dtype=np.int64), [len(ids) for ids in block])
            keys, times = np.unique(local * n_terms + np.concatenate(block), return_counts=True)
            cols.append((keys % n_terms).astype(np.int32))
            counts.append(times.astype(np.float32))
            indptr.append(indptr[-1][-1] + np.cumsum(np.bincount(keys // n_terms, minlength=len(block))))
        col = np.concatenate(cols) if cols else np.zeros(0, np.int32)
        del cols
        tf = np.concatenate(counts) if counts else np.zeros(0, np.float32)
        del counts
        rowptr = np.concatenate(indptr)
        df = np.bincount(col, minlength=n_terms)
        # as bm25s computes them: the IDF by math.log stored as float32, the tf part in float64
        idf32 = np.zeros(n_terms, dtype=np.float32)
        for i, d in enumerate(df.tolist()):
            if d:
                idf32[i] = math.log(1 + (n - d + 0.5) / (d + 0.5))
        data = np.empty(len(col), dtype=np.float32)
        for row_at in range(0, n, LEXICAL_BLOCK):  # in blocks: float64 temporaries stay small
            lo, hi = rowptr[row_at], rowptr[min(n, row_at + LEXICAL_BLOCK)]
            rows = np.repeat(np.arange(row_at, min(n, row_at + LEXICAL_BLOCK)), np.diff(rowptr[row_at:row_at + LEXICAL_BLOCK + 1]))
            t = tf[lo:hi].astype(np.float64)
            data[lo:hi] = idf32[col[lo:hi]].astype(np.float64) * (t / (norms[rows] + t))
        del tf
        # chunks × terms by row, turned into bm25s' terms-major layout (chunks in order in each term)
        matrix = csr_matrix((data, col, rowptr), shape=(n, n_terms)).tocsc()
        del data, col
        model.scores = {"data": matrix.data, "indices": matrix.indices.astype(np.int32, copy=False),
                        "indptr": matrix.indptr.astype(np.int64), "num_docs": n}
        del matrix
        model.vocab_dict = vocab
        model.unique_token_ids_set = set(vocab.values())
        model.nonoccurrence_array = None  # what bm25s' own indexing sets for Lucene BM25
        terms_by_id = [""] * n_terms
        for term, i in vocab.items():
            terms_by_id[i] = term
        idf = {terms_by_id[i]: math.log(1 + (n - d + 0.5) / (d + 0.5)) for i, d in enumerate(df.tolist()) if d}
        return cls(model, idf, n)

    @classmethod
    def build(cls, chunk_tokens: Sequence[Sequence[str]]) -> "LexicalIndex":
        bm25s = _bm25s()

        model = bm25s.BM25()
        # bm25s wants at least one token per document; an empty chunk gets a
        # placeholder that no query can produce.
        model.index([list(t) or [EMPTY_CHUNK] for t in chunk_tokens], show_progress=False)
        n = len(chunk_tokens)
        df = Counter(tok for tokens in chunk_tokens for tok in set(tokens))
        idf = {tok: math.log(1 + (n - d + 0.5) / (d + 0.5)) for tok, d in df.items()}
        return cls(model, idf, n)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for a question's tokens (zeros when none is in the corpus)."""
        return self.term_scores(query_terms(query_tokens))

    def term_scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for lexical terms as stored (stems, Chinese words)."""
        if self._model is None:
            raise ValueError("this lexical index holds its vocabulary only; its weights are stored elsewhere")
        idf = self.idf.terms()
        known = [t for t in terms if t in idf]
        if not known:
            return np.zeros(self.n_chunks, dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def term_weights(self, terms: Sequence[str], ids: np.ndarray) -> np.ndarray:
        """The stored BM25 weight of each term (as stored) in each chunk of ``ids``: a
        ``len(ids) × len(terms)`` array, 0 where a chunk lacks the term or the corpus does."""
        if self._model is None:
            raise ValueError("this lexical index holds its vocabulary only; its weights are stored elsewhere")
        ids = np.asarray(ids, dtype=np.int64)
        out = np.zeros((len(ids), len(terms)), dtype=np.float32)
        scores, columns = self._model.scores, self.term_ids()
        indptr, indices, data = scores["indptr"], scores["indices"], scores["data"]
        for j, term in enumerate(terms):
            col = columns.get(term)
            lo, hi = (int(indptr[col]), int(indptr[col + 1])) if col is not None else (0, 0)
            if hi == lo or not len(ids):
                continue
            chunks = indices[lo:hi]  # the chunks holding the term, in order
            at = np.minimum(np.searchsorted(chunks, ids), hi - lo - 1)
            found = chunks[at] == ids
            out[found, j] = data[lo:hi][at[found]]
        return out

    def term_ids(self) -> dict[str, int]:
        """Each stored term's column in :meth:`chunk_weights` (and in a backend's sparse vectors)."""
        if self._term_ids is None:
            self._term_ids = {str(t): int(i) for t, i in self._model.vocab_dict.items()}
        return self._term_ids

    def chunk_weights(self):  # type: ignore[no-untyped-def]
        """The BM25 weight of each term in each chunk, as a ``chunks × terms`` SciPy CSR matrix:
        a chunk's score for a question is the sum of its weights for the question's terms (each
        term counted as often as the question has it), exactly as :meth:`term_scores` adds them."""
        from scipy.sparse import csc_matrix

        if self._model is None:
            raise ValueError("this lexical index holds its vocabulary only")
        scores = self._model.scores
        shape = (int(scores["num_docs"]), len(scores["indptr"]) - 1)
        return csc_matrix((scores["data"], scores["indices"], scores["indptr"]), shape=shape).tocsr()

    def vocabulary_only(self) -> "LexicalIndex":
        """This index without its BM25 weights (kept elsewhere): IDF, coverage and term ids."""
        return LexicalIndex(None, self.idf.terms(), self.n_chunks, self.term_ids())

    def coverage(self, query_tokens: Sequence[str]) -> float:
        """Share of the query's content words that the corpus contains (0..1)."""
        stop = _english_stopwords()
        words = [w for w in content_tokens(list(query_tokens)) if w not in stop]
        if not words:
            return 0.0
        return sum(1 for w in words if w in self.idf) / len(words)

    def save(self, directory: Path) -> list[Path]:
        """Write the index into ``directory`` (the vocabulary alone, with each term's id, when
        the weights live elsewhere); return the files written."""
        data: dict[str, object] = {"n_chunks": self.n_chunks, "idf": self.idf.terms()}
        written = []
        if self._model is None:
            data["term_ids"] = self.term_ids()
        else:
            target = directory / BM25_DIR
            self._model.save(str(target), show_progress=False)
            written = sorted(p for p in target.iterdir() if p.is_file())
        idf_path = directory / IDF_FILE
        idf_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return written + [idf_path]

    @classmethod
    def load(cls, directory: Path, vocabulary_only: bool = False, mmap: bool = False) -> "LexicalIndex":
        """Read what :meth:`save` wrote (``vocabulary_only``: an index whose weights live elsewhere;
        ``mmap``: the weights memory-mapped, read from the file as questions need them)."""
        data = json.loads((directory / IDF_FILE).read_text(encoding="utf-8"))
        idf = {str(k): float(v) for k, v in data["idf"].items()}
        if vocabulary_only:
            ids = data["term_ids"]
            if not isinstance(ids, dict):
                raise ValueError(f"{IDF_FILE}: term_ids is not a mapping")
            return cls(None, idf, int(data["n_chunks"]), {str(k): int(v) for k, v in ids.items()})
        bm25s = _bm25s()

        with NPY_LOCK:  # bm25s reads its arrays with np.load
            model = bm25s.BM25.load(str(directory / BM25_DIR), show_progress=False, load_corpus=False, mmap=mmap)
        return cls(model, idf, int(data["n_chunks"]))
