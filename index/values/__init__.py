"""What a sentence states: numbers, amounts, percentages, measures, durations and dates.

    >>> from index.values import parse_values
    >>> [(v.text, v.kind.value, v.unit, v.number) for v in parse_values("营收约4.5亿元,同比增长218%")]
    [('约4.5亿元', 'money', 'CNY', 450000000.0), ('218%', 'percent', '%', 218.0)]
    >>> [(v.text, v.label) for v in parse_values("He was born on 21 August 1968.")]
    [('21 August 1968', '1968-08-21')]

The vocabulary is data (``lexicon/*.toml``); the language-specific rules live in ``zh.py`` and
``en.py``; a sentence with Chinese characters is read as Chinese, any other as English.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import NamedTuple

from ..text import fold, has_cjk
from .lexicon import LexiconError, extend_lexicon, lexicon, reset_lexicons
from .reader import overlaps
from .types import Grain, Hedge, Value, ValueKind, interval, year_span

log = logging.getLogger(__name__)

__all__ = ["Grain", "Hedge", "LexiconError", "NumberTerm", "Value", "ValueKind", "extend_lexicon", "interval",
           "is_number_piece", "language_of", "lexicon", "number_terms", "parse_values", "reset_lexicons",
           "strip_invisible", "year_span"]

# Removed before parsing, as not part of a figure: zero-width and bidi control characters
# ("3\u200b5亿元" reads as 35亿元), and the brackets a prospectus template leaves around a figure
# ("发行【2480.5】万股" reads as 2480.5万股).
_IGNORED = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
                      "|【(?=[0-9０-９][0-9０-９.,．，]*】)|(?<=[0-9０-９])】")


def strip_invisible(text: str) -> tuple[str, list[int] | None]:
    """``text`` without the characters that are no part of a figure (see ``_IGNORED``), and where
    each kept character was (None: none removed)."""
    dropped = {m.start() for m in _IGNORED.finditer(text)}
    if not dropped:
        return text, None
    kept = [i for i in range(len(text)) if i not in dropped]
    return "".join(text[i] for i in kept), kept


def language_of(text: str) -> str:
    """``zh`` for text written mostly in Chinese (as many Chinese characters as English words),
    else ``en``: "How many people died in the 北岭县 earthquake?" is an English question."""
    if not has_cjk(text):
        return "en"
    return "zh" if len(_CJK.findall(text)) >= len(_LATIN_WORDS.findall(text)) else "en"


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORDS = re.compile(r"[A-Za-z]{2,}")


_readers: dict[str, tuple[object, object]] = {}


def _reader(language: str):  # type: ignore[no-untyped-def]
    """The reader of ``language`` over its current lexicon (a new one after :func:`extend_lexicon`)."""
    lex = lexicon(language)
    known = _readers.get(language)
    if known is not None and known[0] is lex:
        return known[1]
    if language == "zh":
        from .zh import ChineseReader

        reader: object = ChineseReader(lex)
    else:
        from .en import EnglishReader

        reader = EnglishReader(lex)
    _readers[language] = (lex, reader)
    return reader


def parse_values(text: str, article_date: str | None = None, language: str | None = None) -> list[Value]:
    """Every value ``text`` states, with spans into ``text`` itself.

    Args:
        text: a sentence (either Chinese script, or English).
        article_date: ISO date of the article, to resolve 今年, "last year", a month without a year.
        language: ``zh`` or ``en``; by default Chinese when the text has Chinese characters.

    Never raises on text: a piece that cannot be read is skipped. A malformed vocabulary file
    raises :class:`LexiconError` (that is a setup error, not a text error).
    """
    if not text:
        return []
    lang = language or language_of(text)
    reader = _reader(lang)  # a LexiconError belongs to whoever set up the vocabulary
    clean, kept = strip_invisible(text)
    try:
        values = reader.read(fold(clean), article_date)
    except (RecursionError, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - a reader of arbitrary text must not fail the question
        log.exception("could not read values from %r", text[:80])
        return []
    if kept is None:
        return [_original(v, text, v.start, v.end) for v in values]
    out = []
    for v in values:
        start = kept[v.start]
        end = kept[v.end - 1] + 1
        out.append(_original(v, text, start, end))
    return out


def _original(v: Value, text: str, start: int, end: int) -> Value:
    """The value with its span and text in the original (unfolded) string."""
    return replace(v, start=start, end=end, text=text[start:end])


class NumberTerm(NamedTuple):
    """A number as one lexical term of its digits (``term``), how the text wrote it (``written``)
    and where (``start``/``end``, in the folded text: Simplified, half-width, invisibles out)."""

    term: str
    written: str
    start: int
    end: int


def number_terms(text: str) -> list[NumberTerm]:
    """Each number of ``text`` not written as its plain digits, with the one lexical term its
    digits make: "10,000", "ten thousand", "1万" and "一万" all give ``10000``; "2.5 million",
    "$2.5m" and "250万" give ``2500000``; "58.30" gives ``58.3``. So a question's number finds a
    passage's, however each writes it. A number written as its digits ("1879", "2.5") gives
    nothing, nor does one below ten: "一" of 哪一天 and "one" of "one of them" say nothing of which
    passage answers. Text mixing Chinese and Latin script is read by both languages' readers
    ("sold 250万 units"), a number both read counting once."""
    if not text:
        return []
    clean = fold(strip_invisible(text)[0])
    language = language_of(text)
    found = _number_terms(_reader(language), clean)
    if has_cjk(clean) and _LATIN_WORDS.search(clean):
        taken = sorted((t.start, t.end) for t in found)
        other = _number_terms(_reader("en" if language == "zh" else "zh"), clean)
        found = sorted(found + [t for t in other if not overlaps(taken, t.start, t.end)], key=lambda t: t.start)
    return found


def _number_terms(reader, clean: str) -> list[NumberTerm]:  # type: ignore[no-untyped-def]
    """:func:`number_terms` as one language's reader reads them."""
    terms = []
    last_end = -1
    try:
        for core in reader.cores(clean, []):
            if core.start < last_end or reader.skip(clean, core):
                continue  # the "thousand" of "3.5 thousand" was read with the 3.5
            number, end = core.number, core.end
            prefix = reader.lex.currency_prefix.ending_at(clean, core.start, 12)  # "$300m" is millions
            currency = str(reader.lex.currency_prefix.get(prefix[0])) if prefix else ""
            magnitude = reader.magnitude(clean, end, currency)
            if magnitude is not None:
                number, end = number * magnitude[0], magnitude[1]
            last_end = end
            term = _digits(number) if abs(number) >= 10 else ""
            written = clean[core.start:end]
            if term and term != written:
                terms.append(NumberTerm(term, written, core.start, end))
    except (RecursionError, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - as parse_values: a piece that cannot be read adds no term
        log.exception("could not read numbers from %r", clean[:80])
    return terms


_DIGIT_PIECE = re.compile(r"[\d.,]+")


def is_number_piece(token: str) -> bool:
    """Whether a token (folded) is a piece a number is written in: digits ("10", "000", "36.4"),
    Chinese numerals (一万, 三百) or an English number word ("ten", "thousand"), not a unit or a word."""
    from .en import is_number_word
    from .zh import is_numeral

    return bool(_DIGIT_PIECE.fullmatch(token)) or is_numeral(token) or is_number_word(token)


def _digits(number: float) -> str:
    """``number`` in plain digits: 10000.0 → "10000", 0.35 → "0.35" ("" when not finite)."""
    if number != number or number in (float("inf"), float("-inf")) or abs(number) >= 1e18:
        return ""
    if number == int(number):
        return str(int(number))
    return f"{number:.6f}".rstrip("0").rstrip(".")
