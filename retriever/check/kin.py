"""Near-synonyms of a question's Chinese words among the corpus' own words, found by meaning.

Two outlets word one fact their own way ("展会聚集了…参展商", "展会汇聚…参展商"): a question
that uses one verb finds the other source only if the other verb counts too. The lexicon's
``[synonyms]`` groups cover the common measure words; this covers the rest without a list. A
corpus word is a question word's kin when it shares one of its characters (Chinese words of one
meaning mostly do: 聚集/汇聚, 亏损/损失, 员工/雇员) and the embedder puts the two words
close (cosine ≥ ``similarity``, set on the default embedder: 增加/减少 sit near 0.5, 买入/卖出
at 0.74, near-synonyms above 0.8). Some words that differ by one character of opposite or other
meaning sit as close (上游/下游 0.84, 月薪/年薪 0.81, 今年/去年 0.92): the lexicon's
``[contrasts]`` pairs of characters keep them apart. Kin count as part of a word, never as the
word (:data:`KIN_CREDIT`).
"""

from __future__ import annotations

import threading
from typing import Callable, Mapping, Sequence

import numpy as np

from index.text import has_cjk

#: share of a word's weight a kin of it earns where it stands
KIN_CREDIT = 0.85
#: word vectors kept (16 MB at 512 dimensions); the cache starts over past it
MAX_REMEMBERED = 8_192


def _contrasting(word: str, other: str) -> bool:
    """The two words differ only by a pair of [contrasts] characters (上游/下游, 月薪/年薪): close in
    the embedder's space, opposite or other in meaning."""
    from index.values import lexicon

    mine, theirs = set(word) - set(other), set(other) - set(word)
    return len(mine) == 1 and len(theirs) == 1 and frozenset(mine | theirs) in lexicon("zh").contrasts


class WordKin:
    """A question word's kin among one corpus vocabulary, by an embedder's word vectors."""

    def __init__(self, vocabulary: Mapping[str, float], embed: Callable[[Sequence[str]], np.ndarray],
                 similarity: float, limit: int = 64) -> None:
        self._vocabulary = vocabulary
        self._embed = embed
        self._similarity = similarity
        self._limit = limit
        self._by_char: dict[str, list[str]] | None = None
        self._lock = threading.Lock()
        self._known: dict[str, np.ndarray] = {}  # word vectors embedded so far

    def __call__(self, words: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Each of ``words`` (Chinese words, Simplified) → the corpus words that mean nearly what it
        means; all new words embedded in one batch."""
        asked = [w for w in dict.fromkeys(words) if len(w) == 2 and has_cjk(w)]
        pools = {w: self._pool(w) for w in asked}
        every = list(dict.fromkeys([*asked, *(p for pool in pools.values() for p in pool)]))
        vectors = dict(zip(every, self._vectors(every)))
        return {w: tuple(p for p in pools[w] if float(vectors[p] @ vectors[w]) >= self._similarity
                         and not _contrasting(w, p)) for w in asked}

    def _chars(self) -> dict[str, list[str]]:
        with self._lock:
            if self._by_char is None:
                by_char: dict[str, list[str]] = {}
                for w in self._vocabulary:
                    if len(w) == 2 and w[0] != w[1] and all("\u4e00" <= ch <= "\u9fff" for ch in w):
                        for ch in set(w):
                            by_char.setdefault(ch, []).append(w)
                self._by_char = by_char
            return self._by_char

    def _vectors(self, words: Sequence[str]) -> list[np.ndarray]:
        """Unit vectors of ``words``, embedding only those not seen before (in one batch)."""
        with self._lock:
            found = {w: self._known[w] for w in words if w in self._known}
        missing = [w for w in dict.fromkeys(words) if w not in found]
        if missing:
            vectors = np.asarray(self._embed(missing), dtype=np.float32)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            found.update(zip(missing, vectors))
            with self._lock:
                if len(self._known) > MAX_REMEMBERED:
                    self._known.clear()
                self._known.update(zip(missing, vectors))
        return [found[w] for w in words]

    def _pool(self, word: str) -> list[str]:
        """The corpus' two-character words that share a character with ``word``, commonest first
        (what outlets write: a low IDF), at most ``limit``."""
        by_char = self._chars()
        pool = {w for ch in set(word) for w in by_char.get(ch, ()) if w != word}
        return sorted(pool, key=lambda w: (self._vocabulary.get(w, 0.0), w))[:self._limit]
