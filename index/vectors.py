"""Where an index's vectors and lexical weights are searched: the protocol search and answers use,
and its local implementation (FAISS + the memory-mapped sentence vectors + bm25s).

The other implementation, :class:`index.milvus.MilvusVectors`, keeps them in Milvus. Both answer
the same questions with the same numbers, so the fusion of dense and lexical scores (and every
answer) stays on this side whatever the backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Protocol, Sequence

import numpy as np

if TYPE_CHECKING:
    from .store import Index


class LexicalQuery(NamedTuple):
    """A question's lexical side: its terms as stored (each counts once per occurrence) and the
    groups of terms carried over from the corpus' other language, each group sharing ``group_weight``."""

    terms: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...] = ()
    group_weight: float = 0.0

    def weights(self, known: "dict[str, float] | set[str]") -> dict[str, float]:
        """``{term: weight}`` over the terms the corpus holds: the BM25 score of a chunk is the
        sum of ``weight × its stored BM25 weight for the term``."""
        weights: dict[str, float] = {}
        for term in self.terms:
            if term in known:
                weights[term] = weights.get(term, 0.0) + 1.0
        for group in self.groups:
            share = self.group_weight / len(group) if group else 0.0
            for term in group:
                if term in known:
                    weights[term] = weights.get(term, 0.0) + share
        return weights


class LexicalHits(Protocol):
    """The best chunks for a :class:`LexicalQuery`, and the lexical score of any chunk."""

    ids: np.ndarray  # chunk ids with a positive score, best first (ties: lower id first)

    def scores(self, ids: np.ndarray) -> np.ndarray:
        """The lexical score of each chunk in ``ids`` (0 for a chunk sharing no term)."""
        ...


class Vectors(Protocol):
    """What search and answers ask of the stored vectors; implemented locally and over Milvus."""

    kind: str

    def dense_top(self, vector: np.ndarray, depth: int) -> np.ndarray:
        """Ids of the ``depth`` chunks most similar to ``vector`` (inner product), best first."""
        ...

    def chunk_vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of chunks ``ids`` (float32, in that order)."""
        ...

    def sentence_vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of sentences ``ids`` (in that order; float16 values)."""
        ...

    def lexical_top(self, query: LexicalQuery, depth: int) -> LexicalHits:
        """The at most ``depth`` best chunks by BM25 for ``query``."""
        ...

    def term_weights(self, terms: Sequence[str], ids: np.ndarray) -> np.ndarray:
        """The stored BM25 weight of each term (as stored) in each chunk of ``ids``
        (``len(ids) × len(terms)``, 0 where absent)."""
        ...

    def close(self) -> None:
        """Release connections (nothing to do for local files)."""
        ...


class _ScoredAll:
    """Lexical hits over a score for every chunk (the local index computes them all at once)."""

    def __init__(self, scores: np.ndarray, depth: int) -> None:
        self._all = scores
        n = len(scores)
        if depth < n:  # the top ``depth`` without sorting every chunk's score
            top = np.argpartition(-scores, depth - 1)[:depth]
            ids = top[np.lexsort((top, -scores[top]))]
        else:
            ids = np.argsort(-scores, kind="stable")
        self.ids = ids[scores[ids] > 0]

    def scores(self, ids: np.ndarray) -> np.ndarray:
        return self._all[ids]


class LocalVectors:
    """The index's own files: chunk vectors in FAISS, sentence vectors memory-mapped, BM25 by bm25s.

    Reads the index's attributes at each call, so a build that swaps in the published sentence
    file is seen at once.
    """

    kind = "local"

    def __init__(self, index: "Index") -> None:
        self._index = index

    def dense_top(self, vector: np.ndarray, depth: int) -> np.ndarray:
        _, ids = self._index.dense.search(vector[None, :].astype(np.float32), depth)
        return ids[0][ids[0] >= 0]

    def chunk_vectors(self, ids: np.ndarray) -> np.ndarray:
        return self._index.dense.reconstruct_batch(np.asarray(ids, dtype=np.int64))

    def sentence_vectors(self, ids: np.ndarray) -> np.ndarray:
        return self._index.sentence_vectors[ids]

    def lexical_top(self, query: LexicalQuery, depth: int) -> LexicalHits:
        lexical = self._index.lexical
        scores = lexical.term_scores(list(query.terms))
        for group in query.groups:
            # a word's translations share its weight: the five senses of "share" count as one word
            scores = scores + query.group_weight / len(group) * lexical.term_scores(group)
        return _ScoredAll(scores, depth)

    def term_weights(self, terms: Sequence[str], ids: np.ndarray) -> np.ndarray:
        return self._index.lexical.term_weights(terms, ids)

    def close(self) -> None:
        return None


__all__ = ["LexicalHits", "LexicalQuery", "LocalVectors", "Vectors"]
