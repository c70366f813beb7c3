"""A question's content words, weighted, and how much of them a piece of a sentence contains.

Chinese words are matched by containment in the normalised text, with part credit for a word
whose character pairs appear (净亏损 in "亏损就高达"): jieba may cut the question and the
article differently. English words are matched by their stems (PyStemmer's Snowball English).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

from index.text import content_tokens, has_cjk, normalise, tokenize

# what makes a phrase of [question_kinds] a question word rather than a topic word
_ASKING = ("多少", "几", "哪", "何", "什么", "谁", "多久", "多长", "多高", "多远", "多大", "多深", "多重", "多宽", "多快",
           "how", "what", "when", "which", "who", "where", "why")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9'&.-]*[a-z0-9]|[a-z]")


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def english_stems(text: str) -> frozenset[str]:
    """Stems of the Latin words of a normalised text."""
    return frozenset(_stem(w) for w in _LATIN_WORD.findall(text))


@dataclass(frozen=True)
class Terms:
    """Weighted content words of a question (normalised; English ones as stems)."""

    words: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    stems: tuple[str, ...] = field(default=())  # per word: its stem, or "" for a Chinese word

    @classmethod
    def of_question(cls, text: str, lex, idf: dict[str, float], skip: Sequence[tuple[int, int]] = ()  # type: ignore[no-untyped-def]
                    ) -> "Terms":
        """The question's words that name its topic: not its question words, figures or dates."""
        chars = list(text)
        for start, end in skip:
            chars[start:end] = [" "] * (end - start)
        kept = "".join(chars)
        ask_words = lex.question_words
        kind_pattern = lex.question_kinds.pattern
        if kind_pattern is not None:
            # "哪一年", "how many": phrases that ask; "身高", "面积", "price" name the topic and stay
            kept = kind_pattern.sub(lambda m: " " if any(w in m.group(0) for w in _ASKING) else m.group(0),
                                    normalise(kept))
        words: list[str] = []
        for token in content_tokens(tokenize(kept)):
            if token in ask_words or token in words:
                continue
            words.append(token)
        default = max(idf.values(), default=1.0)
        weights = [idf.get(w, default) for w in words]
        # A single Chinese character is weak evidence however rare it is ("净" of 净亏损 when jieba
        # cuts 净/亏损): it weighs at most half of the question's longer words.
        longer = [wt for w, wt in zip(words, weights) if len(w) > 1 or not has_cjk(w)]
        cap = 0.5 * sum(longer) / len(longer) if longer else 1.0
        weights = tuple(min(wt, cap) if len(w) == 1 and has_cjk(w) else wt for w, wt in zip(words, weights))
        stems = tuple("" if has_cjk(w) else _stem(w) for w in words)
        return cls(tuple(words), weights, stems)

    def __bool__(self) -> bool:
        return bool(self.words)

    def coverage(self, text: str, stems: frozenset[str] | None = None) -> float:
        """IDF-weighted share of the words found in ``text`` (normalised), 0..1."""
        total = sum(self.weights)
        if not total:
            return 0.0
        if stems is None and any(self.stems):
            stems = english_stems(text)
        found = 0.0
        for word, weight, stem in zip(self.words, self.weights, self.stems):
            if stem:
                found += weight if stem in (stems or ()) else 0.0
            elif word in text:
                found += weight
            elif len(word) > 2:
                pairs = [word[i:i + 2] for i in range(len(word) - 1)]
                share = sum(p in text for p in pairs) / len(pairs)
                found += weight * share if share >= 0.5 else 0.0
        return found / total

    def found(self, text: str) -> tuple[str, ...]:
        """The words found in ``text`` (normalised), for showing why a value was chosen."""
        stems = english_stems(text) if any(self.stems) else frozenset()
        return tuple(w for w, s in zip(self.words, self.stems) if (s in stems if s else w in text))
