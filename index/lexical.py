"""The lexical index: BM25 (bm25s) over jieba tokens of normalised chunk text."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np

from .text import content_tokens

BM25_DIR = "bm25"
IDF_FILE = "idf.json"


def _bm25s():  # type: ignore[no-untyped-def]
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
    return bm25s


class LexicalIndex:
    """BM25 scores for token lists, plus the corpus vocabulary and its IDF.

    Args:
        model: a fitted ``bm25s.BM25``.
        idf: ``{token: idf}`` over chunks, for every token in the corpus.
    """

    def __init__(self, model, idf: dict[str, float], n_chunks: int) -> None:  # type: ignore[no-untyped-def]
        self._model = model
        self.idf = idf
        self.n_chunks = n_chunks

    @classmethod
    def build(cls, chunk_tokens: Sequence[Sequence[str]]) -> "LexicalIndex":
        bm25s = _bm25s()

        model = bm25s.BM25()
        # bm25s wants at least one token per document; an empty chunk gets a
        # placeholder that no query can produce.
        model.index([list(t) or ["\x00"] for t in chunk_tokens], show_progress=False)
        n = len(chunk_tokens)
        df = Counter(tok for tokens in chunk_tokens for tok in set(tokens))
        idf = {tok: math.log(1 + (n - d + 0.5) / (d + 0.5)) for tok, d in df.items()}
        return cls(model, idf, n)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk (zeros when no query token is in the corpus)."""
        known = [t for t in query_tokens if t in self.idf]
        if not known:
            return np.zeros(self.n_chunks, dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def coverage(self, query_tokens: Sequence[str]) -> float:
        """Share of the query's content words that the corpus contains (0..1)."""
        words = content_tokens(list(query_tokens))
        if not words:
            return 0.0
        return sum(1 for w in words if w in self.idf) / len(words)

    def save(self, directory: Path) -> list[Path]:
        """Write the index into ``directory``; return the files written."""
        target = directory / BM25_DIR
        self._model.save(str(target), show_progress=False)
        idf_path = directory / IDF_FILE
        idf_path.write_text(json.dumps({"n_chunks": self.n_chunks, "idf": self.idf}, ensure_ascii=False), encoding="utf-8")
        return sorted(p for p in target.iterdir() if p.is_file()) + [idf_path]

    @classmethod
    def load(cls, directory: Path) -> "LexicalIndex":
        bm25s = _bm25s()

        model = bm25s.BM25.load(str(directory / BM25_DIR), show_progress=False, load_corpus=False)
        data = json.loads((directory / IDF_FILE).read_text(encoding="utf-8"))
        return cls(model, {str(k): float(v) for k, v in data["idf"].items()}, int(data["n_chunks"]))
