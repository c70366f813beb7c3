"""The one normaliser, the one tokenizer and the one sentence splitter.

Original text is kept for display and citation; everything lexical (BM25,
claim parsing, answer matching) works on :func:`fold` or :func:`normalise`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Iterator, Sequence

# Sentence ends: Chinese full stops and friends, runs of them, then closing
# quotes/brackets that belong to the sentence. Latin ".!?" only end a sentence
# when whitespace follows, so "3.14" stays whole.
_SENTENCE_END = re.compile(
    r"(?:[。！？；!?;…]+|\.(?=[”’」』\"'）)】]*\s))[”’」』\"'）)】]*|\n+"
)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^[\d.,%+\-]+$")

# Question words and function words that carry no lexical evidence.
_STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 或 等 吗 呢 吧 啊 呀 么 什么 多少 几 哪 哪些 哪个 哪家 哪里 哪一 如何 怎么 怎样
    为什么 为何 谁 有 有没有 是否 是不是 其 之 这 那 这个 那个 这家 该 把 被 对 从 向 到 给 由 以 而 也 都
    就 还 又 再 所 将 于 为 约 请问 一下 多 少 个 年 月 日 时 会 能 可以 要 说 称 据 报道 哪年 几年 何时
    a an the of in on at to for from by with and or is are was were be been being do does did how
    what which who whom whose when where why much many many's it its this that these those as than
    s 's about according did has have had will would can could should there their they he she his her
    """.split()
)


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def _fold_width(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:  # full-width ASCII
        return chr(code - 0xFEE0)
    if code == 0x3000:  # ideographic space
        return " "
    return ch


_WIDTH_TABLE = {c: _fold_width(chr(c)) for c in list(range(0xFF01, 0xFF5F)) + [0x3000]}


def fold(text: str) -> str:
    """Traditional→Simplified and full-width→half-width, one character for one.

    The result has the same length as ``text``, so a span found in the folded
    text is the same span in the original (claims and highlights rely on this).
    """
    if not text:
        return text
    text = _clean_surrogates(text)
    simplified = _t2s().convert(text)
    if len(simplified) != len(text):
        # A phrase rule changed the length: fall back to character by character.
        convert = _t2s().convert
        simplified = "".join(c if len(s := convert(c)) != 1 else s for c in text)
    return simplified.translate(_WIDTH_TABLE)


def normalise(text: str) -> str:
    """:func:`fold`, then lower case and single spaces: the form used for matching."""
    return _SPACES.sub(" ", fold(text)).strip().lower()


def _clean_surrogates(text: str) -> str:
    # Lone surrogates cannot be encoded for OpenCC; replace them.
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def has_cjk(text: str) -> bool:
    """True when the text contains at least one CJK ideograph."""
    return bool(_CJK.search(text))


def detect_script(text: str) -> str:
    """``Traditional``, ``Simplified``, ``Latin`` or ``Mixed`` (for display and metadata)."""
    cjk = _CJK.findall(text)
    if not cjk:
        return "Latin"
    sample = "".join(cjk[:4000])
    folded = _t2s().convert(sample)
    changed = sum(a != b for a, b in zip(sample, folded))
    share = changed / len(sample)
    if share > 0.04:
        return "Traditional"
    if share < 0.005:
        return "Simplified"
    return "Mixed"


# jieba's full dictionary (349k words) takes ~1 s to load, half of a cold `factcheck ask`.
# Words seen fewer than this many times in jieba's own counts are dropped: 105k words load
# in ~0.25 s, and the rare ones they lose (mostly long compounds) split into shorter words
# on both sides, index and question, so matching is unaffected (measured on the gold set).
DICT_MIN_FREQ = 10


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer(dictionary=_small_dictionary(jieba))
    tokenizer.initialize()
    return tokenizer


def _small_dictionary(jieba) -> str:  # type: ignore[no-untyped-def]
    """Path of jieba's dictionary without its rarest words, made once into the cache folder."""
    import os
    import tempfile
    from pathlib import Path

    from .config import cache_dir

    source = Path(jieba.__file__).parent / "dict.txt"
    version = getattr(jieba, "__version__", "0")
    target = cache_dir() / f"jieba-{version}-min{DICT_MIN_FREQ}.txt"
    if target.is_file():
        return str(target)
    kept = []
    with open(source, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) >= DICT_MIN_FREQ:
                kept.append(line if line.endswith("\n") else line + "\n")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent, delete=False) as tmp:
            tmp.writelines(kept)
        os.replace(tmp.name, target)
        return str(target)
    except OSError:  # read-only home: keep it next to the process instead
        fallback = Path(tempfile.gettempdir()) / target.name
        fallback.write_text("".join(kept), encoding="utf-8")
        return str(fallback)


# "r&d", "at&t", "s&p": Latin letters joined by an ampersand are one word, which jieba cuts in three
_AMPERSAND_WORD = re.compile(r"[a-z0-9]{1,4}(?:&[a-z0-9]{1,4})+")
_LATIN_OR_DIGIT = re.compile(r"[a-z0-9]")


def _cut(normalised: str) -> list[str]:
    """jieba's cut, with an ampersand word kept whole."""
    out: list[str] = []
    at = 0
    for m in _AMPERSAND_WORD.finditer(normalised):
        if not _LATIN_OR_DIGIT.match(normalised[m.start() - 1:m.start()]) \
                and not _LATIN_OR_DIGIT.match(normalised[m.end():m.end() + 1]):
            out += _jieba().lcut(normalised[at:m.start()]) if m.start() > at else []
            out.append(m.group(0))
            at = m.end()
    if at < len(normalised):
        out += _jieba().lcut(normalised[at:])
    return out


def tokenize(text: str) -> list[str]:
    """jieba tokens of the normalised text, without punctuation or stopwords."""
    tokens = []
    for token in _cut(normalise(text)):
        token = token.strip()
        if not token or token in _STOPWORDS:
            continue
        if not any(c.isalnum() for c in token):
            continue
        tokens.append(token)
    return tokens


#: question words and verbs of saying that the library list (NLTK's, shipped by bm25s) lacks
_MORE_ENGLISH_STOPWORDS = frozenset("much many according would could also said says".split())
_LATIN_TOKEN = re.compile(r"[a-z][a-z']*")


@lru_cache(maxsize=1)
def _english_stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS) | _MORE_ENGLISH_STOPWORDS


@lru_cache(maxsize=1)
def _english_stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def lexical_key(token: str) -> str:
    """How the lexical index keys a token: an English word by its Snowball stem ("earthquakes",
    "earthquake" → "earthquak"), anything else (a Chinese word, "4.5", "x-ray") as it is."""
    if token[:1].isascii() and token[:1].isalpha():
        return _stem(token)
    return token


@lru_cache(maxsize=65536)
def _stem(token: str) -> str:
    return _english_stemmer().stemWord(token) if _LATIN_TOKEN.fullmatch(token) else token


def lexical_terms(text: str, tokens: Sequence[str] | None = None) -> list[str]:
    """The terms BM25 indexes and searches: :func:`tokenize`'s tokens, English stopwords dropped
    and English words stemmed, so one index serves Chinese, English and mixed text alike. A number
    not written as its plain digits is one term of its digits instead of its written pieces
    ("10,000" and "ten thousand": ``10000``; :func:`index.values.number_terms`). ``tokens``:
    :func:`tokenize`'s tokens of ``text``, when the caller has them already (a prepared question)."""
    from .values import is_number_piece, number_terms

    stop = _english_stopwords()
    terms = [lexical_key(t) for t in (tokenize(text) if tokens is None else tokens) if t not in stop]
    numbers = number_terms(text)
    if not numbers:
        return terms
    # the pieces the numbers were written in ("10", "000"; "ten", "thousand"; 一万; "36.4" of
    # 36.4万) leave, so a chunk is no longer for its numbers than it was; the words around them
    # ("万股", "million") stay
    pieces = Counter(lexical_key(p) for n in numbers for p in tokenize(n.written) if is_number_piece(p))
    kept = []
    for term in terms:
        if pieces[term] > 0:
            pieces[term] -= 1
            continue
        kept.append(term)
    return kept + [n.term for n in numbers]


#: jieba's part-of-speech tags of places, people, organisations and other proper names
_PROPER = frozenset({"ns", "nr", "nrt", "nt", "nz"})


@lru_cache(maxsize=1)
def _proper_words() -> frozenset[str]:
    """The words jieba's (small) dictionary tags as proper names: read once, a few MB."""
    import jieba

    with open(_small_dictionary(jieba), encoding="utf-8") as handle:
        return frozenset(parts[0] for parts in (line.split() for line in handle)
                         if len(parts) >= 3 and parts[2] in _PROPER)


@lru_cache(maxsize=1)
def _magnitude_words() -> dict[str, str]:
    """jieba's (small) dictionary words that begin with a magnitude character, with their
    part-of-speech tags: 万元 and 千克 are numerals and measure words (m, q); 百度, 万达 and 百姓
    are nouns."""
    import jieba

    with open(_small_dictionary(jieba), encoding="utf-8") as handle:
        return {parts[0]: parts[2] for parts in (line.split() for line in handle)
                if len(parts) >= 3 and len(parts[0]) >= 2 and parts[0][0] in "十百千万亿"}


def word_from_magnitude(normalised: str, start: int, end: int) -> str:
    """The dictionary word, other than a numeral or a measure word, that the magnitude at
    ``[start, end)`` of a normalised text begins ("上百度搜索": 百度; "路过万达广场": 万达), or ""."""
    table = _magnitude_words()
    for stop in range(min(len(normalised), start + 4), end, -1):
        tag = table.get(normalised[start:stop])
        if tag is not None:
            return normalised[start:stop] if tag not in ("m", "q", "mq") else ""
    return ""


def proper_nouns(normalised: str) -> list[str]:
    """The places, people and organisations of a normalised Chinese text, as jieba's dictionary
    tags them ("来自南极洲的收入" → 南极洲)."""
    if not has_cjk(normalised):
        return []
    return [w for w in _cut(normalised) if w in _proper_words()]


def words(normalised: str) -> list[str]:
    """jieba's words of an already normalised text, in order, spaces and punctuation included."""
    return _cut(normalised)


def content_tokens(tokens: list[str]) -> list[str]:
    """Tokens that count as lexical evidence: no bare numbers, no single Latin letters."""
    return [t for t in tokens if not _NUMBER.match(t) and not (len(t) == 1 and t.isascii())]


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of each sentence in ``text[start:end]``, whitespace trimmed.

    Chinese sentences end at 。！？；…; English ones at . ? ! followed by a space, except after
    an abbreviation or an initial ("Dr. Li", "the U.S. Army", "J. R. Smith") or before a
    lower-case word ("e.g. the"). The abbreviations are data (``[sentences]`` in the English
    lexicon).
    """
    end = len(text) if end is None else end
    pos = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if text[match.start()] == "." and not _ends_sentence(text, match.start(), match.end(), end):
            continue
        yield from _trimmed(text, pos, match.end())
        pos = match.end()
    yield from _trimmed(text, pos, end)


_WORD_BEFORE_DOT = re.compile(r"(?:^|[^A-Za-z.'’])([A-Za-z][A-Za-z.'’]*)$")


def _ends_sentence(text: str, dot: int, after: int, end: int) -> bool:
    """Whether the period at ``dot`` ends an English sentence."""
    nxt = after
    while nxt < end and text[nxt].isspace():
        nxt += 1
    following = text[nxt:nxt + 1]
    if following.islower():
        return False  # "e.g. the", "approx. five"
    word = _WORD_BEFORE_DOT.search(text, max(0, dot - 16), dot)
    if word is None:
        return True
    token = word.group(1).lower()
    if len(token) == 1:
        return False  # an initial: "J. R. R. Tolkien"
    lex = _english_lexicon()
    if token in lex.abbreviations:
        return False
    if token in lex.final_abbreviations:
        return following.isupper() or following.isdigit() or not following
    return True


@lru_cache(maxsize=1)
def _english_lexicon():  # type: ignore[no-untyped-def]
    from .values.lexicon import lexicon

    return lexicon("en")


# A "sentence" longer than this (a table, a list without full stops) is cut at its last clause
# mark or space before the limit: a quote stays readable and claim parsing stays linear.
MAX_SENTENCE_CHARS = 300
_SOFT_BREAK = re.compile(r"[，,、：:\s]")


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` without the whitespace at either end of ``text[start:end]``."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    start, end = trim_span(text, start, end)
    while end - start > MAX_SENTENCE_CHARS:
        cut = start + MAX_SENTENCE_CHARS
        breaks = [m.end() for m in _SOFT_BREAK.finditer(text, start + MAX_SENTENCE_CHARS // 2, cut)]
        cut = breaks[-1] if breaks else cut
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        if piece_end > start:
            yield start, piece_end
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield start, end


# Embeddings, overrides, isolates and marks: stored text could use them to show "元亿21" as
# "12亿元", "moc.live" as "evil.com", or move a citation marker before its quote.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def without_bidi(text: str) -> str:
    """``text`` without bidi controls (see :data:`BIDI_CONTROLS`), for display."""
    return text.translate(BIDI_CONTROLS)


def one_line(text: object) -> str:
    """A name or label from a corpus (file name, publisher) for display on one line: line breaks
    shown as ␤, other control characters as spaces, bidi controls dropped, so it can neither
    break a line nor reorder what is printed around it."""
    text = without_bidi(str(text).replace("\r\n", "\n"))
    return "".join("␤" if c in LINE_BREAKS else " " if unicodedata.category(c) == "Cc" else c for c in text)


def display_script(text: str, script: str) -> str:
    """Convert text for display: ``original``, ``Simplified`` or ``Traditional``."""
    if script == "Simplified":
        return _t2s().convert(text)
    if script == "Traditional":
        return _s2t().convert(text)
    return text


@lru_cache(maxsize=1)
def _s2t():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("s2t")


def is_probably_text(sample: str) -> bool:
    """False when a decoded sample is mostly control characters (a binary file)."""
    if not sample:
        return True
    bad = sum(1 for c in sample if unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") and c not in "\n\r\t\f")
    return bad / len(sample) < 0.02


__all__ = [
    "content_tokens",
    "detect_script",
    "display_script",
    "fold",
    "has_cjk",
    "is_probably_text",
    "normalise",
    "sentence_spans",
    "tokenize",
    "lexical_terms",
    "lexical_key",
    "words",
]
