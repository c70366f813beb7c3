"""Hybrid search: dense and lexical (BM25) scores fused per query, on this side whatever the
backend (FAISS + bm25s, or Milvus: :mod:`index.vectors`).

Plain reciprocal-rank fusion is worst whenever one side is weak (BM25 finds
nothing for an English question over Chinese text). Instead both score lists
are min-max normalised over the union of their candidates and mixed as
``a·bm25 + (1-a)·dense``, where ``a`` grows with the share of the query's
content words that the corpus vocabulary knows: ~0 for English questions
whose words the articles lack (a brand name or acronym they share counts),
up to ``lexical_weight`` for Chinese ones that reuse the articles' words.

A passage often leaves its subject to its document's first sentence (the title, or the
paragraph's opening): "it had grown to ten thousand volumes", "该品牌正式撤出". On the lexical side
a passage therefore also holds, at ``lead_weight``, each question word it lacks that the first
sentence of its document has (with that first passage's BM25 weight for it; words of one
character are left out: 上, 一 say nothing of a subject).

A question asked in a language the corpus does not hold (English over Chinese articles, the
reverse) is *crossing*. Its dictionary glosses are then its only lexical evidence and count at
``cross_bridge_weight`` (a full word) instead of ``bridge_weight``, which weighs a gloss against
the question's own words in a corpus that holds them. And its dense similarities are small and
led by what every passage shares with the question (the corpus' topic): with ``cross_centring``
the fusion ranks them with the corpus' mean direction projected out of both vectors, so what is
particular to a passage decides. The similarities a passage reports stay the plain cosines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence

import numpy as np

from index.lexical import query_terms
from index.text import fold, has_cjk, lexical_terms, tokenize
from index.vectors import LexicalQuery

from .bridge import Translation, holds, translate

if TYPE_CHECKING:
    from index.embedders import Embedder
    from index.store import Index

Mode = Literal["hybrid", "dense", "lexical"]


@dataclass
class Passage:
    """One retrieved chunk, in its original script, with where it comes from.

    ``start``/``end`` are character offsets into the source document's text;
    ``sentences`` lists ``(sentence_id, start, end)`` for the sentences inside
    it (offsets into the document, clipped to the passage).
    """

    rank: int
    chunk_id: int
    doc_id: str
    text: str
    score: float
    dense_score: float
    lexical_score: float
    start: int
    end: int
    sentences: list[tuple[int, int, int]]
    source: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "text": self.text,
            "score": round(self.score, 4),
            "dense_score": round(self.dense_score, 4),
            "lexical_score": round(self.lexical_score, 4),
            "span": [self.start, self.end],
            "sentences": [{"sentence_id": i, "span": [s, e]} for i, s, e in self.sentences],
            "source": self.source,
        }


@dataclass(frozen=True)
class Query:
    """A question prepared once: its vector, its tokens, the share of its words the corpus holds as
    written (``coverage``) and its lexical weight."""

    text: str
    vector: np.ndarray
    tokens: list[str]
    coverage: float
    lexical_weight: float
    bridged: tuple[tuple[str, ...], ...] = ()  # per question word, its lexical terms in the corpus' other language
    crossing: bool = False  # asked in a language the corpus does not hold


def _off_topic(rows: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Unit vectors ``rows`` with their component along the unit ``direction`` taken out (renormalised)."""
    rows = np.asarray(rows, dtype=np.float32)
    rows = rows - np.outer(rows @ direction, direction)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def crossing(tokens: Sequence[str], vocabulary: Mapping[str, float]) -> bool:
    """Whether a question (its tokens) is asked in a language the corpus vocabulary does not hold
    but holds the other one (Chinese, when at least half its words have Chinese characters, over
    English articles; English over Chinese ones). A small corpus that holds neither crosses nothing."""
    words = [t for t in tokens if has_cjk(t) or t[:1].isalpha()]
    if not words:
        return False
    asked, other = ("zh", "en") if 2 * sum(1 for t in words if has_cjk(t)) >= len(words) else ("en", "zh")
    return not holds(vocabulary, asked) and holds(vocabulary, other)


def _minmax(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.zeros_like(values) if high <= 0 else np.ones_like(values)
    return (values - low) / (high - low)


class HybridSearcher:
    """Search an :class:`~index.store.Index` with its own embedder.

    Args:
        index: the loaded index.
        embedder: the embedder the index was built with.
        lexical_weight: BM25 weight for a query whose content words are all in the corpus.
        candidates: candidates taken from each side before fusion.
        sentence_weight: share of a chunk's dense score that comes from its best
            sentence (short factual questions match one sentence better than a
            whole passage); the rest is the chunk's own similarity.
        bridge_weight: lexical weight of the question's words translated into the corpus' other
            language (:mod:`retriever.bridge`), against 1 for its own words.
        cross_bridge_weight: the same for a question in a language the corpus does not hold.
        cross_centring: rank a crossing question's dense similarities off the corpus' topic.
        lead_weight: lexical weight, in a passage that lacks it, of a question word that its
            document's first sentence holds (0: none).
    """

    #: first sentences whose terms are remembered (a few per document searched)
    LEAD_CACHE = 20_000

    def __init__(self, index: "Index", embedder: "Embedder", lexical_weight: float = 0.7, candidates: int = 50,
                 sentence_weight: float = 0.3, bridge_weight: float = 0.5, lead_weight: float = 0.2,
                 cross_bridge_weight: float = 1.0, cross_centring: bool = True) -> None:
        if embedder.name != index.embedder_name or embedder.dim != index.dim:
            from index.errors import IndexStaleError

            raise IndexStaleError(
                f"index was built with {index.embedder_name} ({index.dim}-d), "
                f"not {embedder.name} ({embedder.dim}-d); rebuild it with factcheck index"
            )
        self.index = index
        self.embedder = embedder
        self.lexical_weight = lexical_weight
        self.candidates = candidates
        self.sentence_weight = sentence_weight
        self.bridge_weight = bridge_weight
        self.lead_weight = lead_weight
        self.cross_bridge_weight = cross_bridge_weight
        self.cross_centring = cross_centring
        self._lead_terms: dict[int, frozenset[str]] = {}

    def prepare(self, question: str) -> Query:
        """Embed and tokenize a question once, for search and for answering."""
        # Traditional questions are embedded in Simplified: measured on the gold
        # set, USE-m finds both scripts' passages better that way (zh-Hant
        # dense R@1 0.48 -> 0.61) and other questions are unchanged.
        vector = self.embedder.embed_queries([fold(question)])[0]
        tokens = tokenize(question)
        coverage = self.index.lexical.coverage(tokens)
        # The BM25 weight follows the share of the question's words the articles contain: as
        # written (an English question over Chinese articles keeps the brand names and acronyms
        # they share), or else in the corpus' other language at bridge_weight (a dictionary
        # gloss is weaker evidence than the word itself) or, for a question in a language the
        # corpus does not hold, at cross_bridge_weight (its glosses are all the words it has there).
        vocabulary = self.index.lexical.idf
        crosses = crossing(tokens, vocabulary)
        weight = self._bridge_weight(crosses)
        translation = translate(tokens, vocabulary) if weight else Translation()
        reach = min(1.0, coverage + weight * translation.share)
        return Query(question, vector, tokens, coverage, self.lexical_weight * reach, translation.groups, crosses)

    def _bridge_weight(self, crosses: bool) -> float:
        return self.cross_bridge_weight if crosses else self.bridge_weight

    def search(self, query: Query | str, k: int = 5, mode: Mode = "hybrid") -> list[Passage]:
        """The ``k`` best passages for a question (``mode`` picks one side for comparisons)."""
        if isinstance(query, str):
            query = self.prepare(query)
        n = len(self.index.chunks)
        if n == 0 or k <= 0:
            return []
        depth = min(n, max(self.candidates, k))
        vectors = self.index.vectors
        dense_ids = vectors.dense_top(query.vector, depth)
        hits = vectors.lexical_top(self.lexical_query(query), depth)
        lexical_ids = hits.ids

        if mode == "dense":
            pool = dense_ids
        elif mode == "lexical":
            pool = lexical_ids
        else:
            pool = np.unique(np.concatenate([dense_ids, lexical_ids]))
        if pool.size == 0:
            return []
        dense = self._dense_scores(query.vector, pool)
        centroid = self.index.centroid
        ranked = (self._dense_scores(query.vector, pool, centroid)
                  if mode == "hybrid" and query.crossing and self.cross_centring and centroid is not None else dense)
        lexical = hits.scores(pool)
        if self.lead_weight:
            lexical = lexical + self.lead_weight * self._from_lead(query, pool)
        if mode == "dense":
            fused = dense  # the plain cosines: what a passage reports and the checker reads
        elif mode == "lexical":
            fused = lexical
        else:
            a = query.lexical_weight
            fused = a * _minmax(lexical) + (1 - a) * _minmax(ranked)
        order = np.lexsort((pool, -fused))[:k]
        return [self.passage(rank, int(pool[i]), float(fused[i]), float(dense[i]), float(lexical[i]))
                for rank, i in enumerate(order, start=1)]

    def lexical_query(self, query: Query) -> LexicalQuery:
        """The question's lexical side: its own terms, and its words carried into the corpus'
        other language at ``bridge_weight`` (``cross_bridge_weight`` for a crossing question; a
        word's translations share its weight)."""
        return LexicalQuery(tuple(lexical_terms(query.text, query.tokens)), query.bridged,
                            self._bridge_weight(query.crossing))

    def _from_lead(self, query: Query, ids: np.ndarray) -> np.ndarray:
        """For each chunk of ``ids``, the BM25 weight its document's first chunk has for the
        question's terms that the chunk lacks and the document's first sentence holds."""
        known = self.index.lexical.idf.terms()
        # words of two characters or more: a subject is named by a word, not by 上 or 一
        terms = [t for t in dict.fromkeys(query_terms(query.tokens)) if len(t) > 1 and t in known]
        if not terms or not ids.size:
            return np.zeros(ids.size, dtype=np.float32)
        documents = self.index.chunks.rows[:, 0]  # chunks are stored document by document
        leads = np.searchsorted(documents, documents[ids], "left").astype(np.int64)
        away = leads != ids
        if not away.any():
            return np.zeros(ids.size, dtype=np.float32)
        vectors = self.index.vectors
        own = vectors.term_weights(terms, ids)
        lead = vectors.term_weights(terms, leads)
        titled = np.array([[t in self._lead_sentence_terms(int(c)) for t in terms] for c in leads], dtype=bool)
        carried = (own == 0) & titled & away[:, None]
        return np.where(carried, lead, 0.0).sum(axis=1).astype(np.float32)

    def _lead_sentence_terms(self, lead_chunk: int) -> frozenset[str]:
        """The lexical terms of the first sentence of the document whose first chunk is ``lead_chunk``."""
        found = self._lead_terms.get(lead_chunk)
        if found is None:
            run = self.index.chunks[lead_chunk].sentence_ids
            found = frozenset(lexical_terms(self.index.sentences[run[0]].text)) if run else frozenset()
            if len(self._lead_terms) >= self.LEAD_CACHE:
                self._lead_terms.clear()
            self._lead_terms[lead_chunk] = found
        return found

    def _dense_scores(self, vector: np.ndarray, ids: np.ndarray, off: np.ndarray | None = None) -> np.ndarray:
        """Each chunk's similarity to ``vector``, part its own and part its best sentence's; with
        ``off`` (a unit direction) taken out of every vector first."""
        vectors = self.index.vectors
        rows = vectors.chunk_vectors(ids)
        if off is not None:
            vector = _off_topic(vector[None, :], off)[0]
            rows = _off_topic(rows, off)
        chunk = rows @ vector
        if not self.sentence_weight:
            return chunk
        # Best sentence of each chunk in one matrix product: the pool's sentences side by side,
        # then the maximum over each chunk's run of them.
        runs = [self.index.chunks[cid].sentence_ids for cid in ids.tolist()]
        flat = np.fromiter((sid for run in runs for sid in run), dtype=np.int64)
        if not flat.size:
            return chunk
        sentences = vectors.sentence_vectors(flat)
        sims = (_off_topic(sentences, off) if off is not None else sentences) @ vector
        lengths = np.fromiter((len(run) for run in runs), dtype=np.int64, count=len(runs))
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        best = np.where(lengths > 0, np.maximum.reduceat(sims, np.minimum(starts, flat.size - 1)), chunk)
        return (1 - self.sentence_weight) * chunk + self.sentence_weight * best

    def passage(self, rank: int, chunk_id: int, score: float = 0.0, dense: float = 0.0, lexical: float = 0.0) -> Passage:
        """The :class:`Passage` of one chunk, as search returns it."""
        chunk = self.index.chunks[chunk_id]
        sentences = []
        for sid in chunk.sentence_ids:
            s = self.index.sentences[sid]
            sentences.append((sid, max(s.start, chunk.start), min(s.end, chunk.end)))
        doc = self.index.documents[chunk.doc_id]
        return Passage(rank, chunk_id, chunk.doc_id, chunk.text, score, dense, lexical,
                       chunk.start, chunk.end, sentences, doc.source())
