"""Every value an archive states, read in one streaming pass over its sentences.

A :class:`Statement` is one claim (:class:`index.claims.Claim`: a value with its period and
measure) with what is needed to find the same fact in another source without a question: the
words around the value (:func:`retriever.check.terms.context_words`, as the alignment compares
two sources' contexts), the sentence with its values masked (two outlets printing one sentence),
and the family of units it can be compared within.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from index.claims import Claim, sentence_claims
from index.text import fold
from index.values import ValueKind, language_of, lexicon

from ..check.align import AlignPolicy, claim_view, skeleton, value_stretch
from ..check.terms import context_words, has_content, normalise_keep, tokenize_keep, word_key

if TYPE_CHECKING:
    from index.store import Index
    from index.values import Value


@dataclass(frozen=True, slots=True)
class Statement:
    """One value one source states, and what it is said of.

    ``doc`` is the document's position in the index; ``context`` the words around the value
    (key → weight); ``skeleton`` its sentence with every value masked and ``place`` which of the
    sentence's values it is; ``family`` the units it can be compared with (``money:CNY``,
    ``count``, ``ratio``, ``date``...; ``duration>count`` for a time taken to reach a count).
    ``dates`` are the sentence's values in order, each its date as written (folded, no spaces)
    or "" for a figure: what a sentence printed twice must share besides the value compared.
    ``names`` are the names with a number near the value ("XR-4.6", "A380", "COVID-19"): each
    names one thing, so two statements naming only different ones speak of different things. ``noun`` is what a count counts, the word right
    after it ("85万创作者", "4,000 runners"; :func:`counted_noun`), as a context key. ``reached``
    is, for a duration, a figure its sentence states after it: the duration is then read as the
    time taken to reach that figure ("开通三周,会员突破8万": three weeks to pass 80,000 members),
    one statement for each such figure (:func:`milestones`), besides the duration's own.
    ``score`` is 1 (every source's statement counts alike when values are grouped, see
    :func:`retriever.check.group_values`). ``elsewhere`` are, for a figure, the words of its
    sentence outside its own stretch and those of the sentence's other figures of its family
    (:func:`words_elsewhere`): where a clause that says little leaves what it speaks of.
    """

    claim: Claim
    doc: int
    text: str
    context: dict[str, float]
    skeleton: str
    place: int
    family: str
    dates: tuple[str, ...] = ()
    names: frozenset[str] = frozenset()
    noun: str = ""
    reached: Claim | None = None
    score: float = 1.0
    elsewhere: frozenset[str] = frozenset()

    @property
    def value(self) -> "Value":
        return self.claim.value

    @property
    def doc_id(self) -> str:
        return self.claim.doc_id


def family(value: "Value") -> str:
    """The units a value can be compared within (the blocks of the audit; :func:`comparable` decides)."""
    kind = value.kind
    if kind in (ValueKind.COUNT, ValueKind.NUMBER):
        return "count"
    if kind in (ValueKind.PERCENT, ValueKind.MULTIPLE):
        return "pp" if value.unit == "pp" else "ratio"
    if kind in (ValueKind.MONEY, ValueKind.MEASURE):
        return f"{kind.value}:{value.unit}"
    return kind.value  # duration, date


def _fact_claims(claims: list[Claim]) -> list[Claim]:
    """The claims that state a fact: every figure, and the dates that are not a figure's period
    (in "2024年营收3.1亿元", 2024 says when the figure holds, not what happened in 2024)."""
    periods = {(c.period.start, c.period.end) for c in claims if c.period is not None}
    return [c for c in claims if c.value.kind is not ValueKind.DATE
            or ((c.value.start, c.value.end) not in periods and not c.value.as_of)]


# a name with a number: letters, an optional hyphen, digits ("XR-4.6", "A380", "COVID-19")
_NUMBERED_NAME = re.compile(r"(?<![a-z0-9.])[a-z]+-?\d+(?:\.\d+)*(?![0-9.]*[0-9])")


def numbered_names(text: str) -> frozenset[str]:
    """The names with a number in ``text`` (folded and lower-cased; "XR 4.6" is not one: the
    space leaves "4.6" a figure of its own)."""
    return frozenset(_NUMBERED_NAME.findall(fold(text).lower()))


def counted_noun(view: str, end: int, value: "Value", lex) -> str:  # type: ignore[no-untyped-def]
    """The word a count (or a plain number) is of: the content word right after it, past a
    counter ("9个岛屿" → 岛屿, "120 萬創作者" → 创作者), or the noun an English count is read
    with ("2,000 runners" → runner), as a
    :func:`context_words` key; "" for another kind of value or when none follows in its clause."""
    if value.kind not in (ValueKind.COUNT, ValueKind.NUMBER):
        return ""
    written = normalise_keep(value.text).split()
    if value.kind is ValueKind.COUNT and written and written[-1][-1:].isascii() and written[-1][-1:].isalpha():
        return word_key(written[-1], lex)  # "40,000 runners": the noun is read as the value's counter
    rest = normalise_keep(view[end:])
    pos = len(rest) - len(rest.lstrip())
    found = lex.counters.match(rest, pos)
    if found is not None:
        pos = found[1]
    tokens = [t for t in tokenize_keep(rest[pos:]) if t.strip()]
    if not tokens:
        return ""
    first = tokens[0]
    if first in lex.not_counters or not has_content(first):
        return ""
    return word_key(first, lex)


#: a duration is read as the time to reach each of the first few figures after it in its sentence
_MILESTONES = 3


def milestones(duration: Claim, claims: list[Claim]) -> list[Claim]:
    """The figures a duration's sentence states after it (not dates, durations or changes), the
    first :data:`_MILESTONES`: what the duration may be the time taken to reach ("展出三周，参观人数
    突破20万", "within three weeks it passed 80,000 members")."""
    if duration.value.kind is not ValueKind.DURATION:
        return []
    return [c for c in claims if c.value.start >= duration.value.end
            and c.value.kind not in (ValueKind.DATE, ValueKind.DURATION) and "change" not in c.modifiers
            ][:_MILESTONES]


#: a date with fewer words of its own than this ("2023年起") is said of its clause's event
_FEW_WORDS = 2


def _with_clause(claim: Claim, claims: list[Claim], sentence: str, own: dict[str, float], lex, idf,  # type: ignore[no-untyped-def]
                 reach: float, default: float) -> dict[str, float]:
    """A date's few words and those of its clause: "2023年起" is the start of what the clause
    says began then, and two such dates of two events share only their "起"."""
    offset = claim.sentence[0]
    lo, hi = claim.context[0] - offset, claim.context[1] - offset
    chars = list(sentence[:hi])
    for c in claims:
        if c is not claim:
            a, b = c.value.start - offset, c.value.end - offset
            chars[a:b] = " " * (len(chars[a:b]))
    clause = "".join(chars)[lo:]
    v0, v1 = claim.value.start - offset - lo, claim.value.end - offset - lo
    out = context_words(clause, v0, v1, lex, idf, reach * 4, default)
    for key, weight in own.items():
        out[key] = max(out.get(key, 0.0), weight)
    return out


def words_elsewhere(sentence: str, claims: list[Claim], lex) -> dict[int, frozenset[str]]:  # type: ignore[no-untyped-def]
    """For each figure of a sentence (by its value's start), the words of the sentence (as
    :func:`context_words` keys) outside its own stretch and outside the stretches of the
    sentence's other figures of its family, which say what those are ("营收3.1亿元,净利润0.5亿元":
    营收 is said of 3.1亿元, not of 0.5亿元): the clauses where what it is may be said when its own
    stretch leaves it unsaid. A Chinese clause often leaves its topic to the clause before it
    ("以甲校重点班招生960人计算，今年录取率约为8%": the rate is that class's); so does an English
    one ("Of the 2 million tickets offered, it sold 90%"). Dates are left out: one with few words
    already takes those of its clause (:func:`_with_clause`)."""
    offset = claims[0].sentence[0] if claims else 0
    spans = [(c.value.start - offset, c.value.end - offset) for c in claims]
    # a figure's stretch is ended by the other figures, not by a date (as its words are read)
    bounds = [s for c, s in zip(claims, spans) if c.value.kind is not ValueKind.DATE]
    figures = [(c, family(c.value), value_stretch(sentence, a, b, spans, bounds))
               for c, (a, b) in zip(claims, spans) if c.value.kind is not ValueKind.DATE]
    if not figures:
        return {}
    blank = list(sentence)
    for a, b in spans:
        blank[a:b] = " " * (b - a)
    text = "".join(blank)
    # the sentence cut at every stretch's ends, each piece's words read once
    cuts = sorted({0, len(text), *(x for _, _, stretch in figures for x in stretch)})
    pieces = [(lo, hi, frozenset(context_words(text[lo:hi], 0, 0, lex, {}, 1e6, 1.0)))
              for lo, hi in zip(cuts, cuts[1:])]
    out: dict[int, frozenset[str]] = {}
    for claim, kin, _ in figures:
        held = [stretch for _, other, stretch in figures if other == kin]  # its own stretch and its kin's
        out[claim.value.start] = frozenset().union(*(words for lo, hi, words in pieces
                                                     if not any(a <= lo and hi <= b for a, b in held)))
    return out


#: how much the words of the figure a change is said of count in the change's own words
_SUBJECT_WEIGHT = 0.7


@functools.lru_cache(maxsize=8)
def _change_keys(language: str) -> frozenset[str]:
    """The context keys of the words that make a figure a change ("同比增长", "较", "rose by"):
    the block already holds changes together, so they say nothing of which change it is."""
    lex = lexicon(language)
    text = " ".join([*lex.change_words.table, *lex.baseline.table])
    return frozenset(context_words(text, 0, 0, lex, {}, 1e6, 1.0))


def _with_subject(claim: Claim, claims: list[Claim], words: dict[int, dict[str, float]],
                  language: str) -> dict[str, float]:
    """The words around a value. For a change ("净利润18.2亿元，同比增长41.5%") not its change
    words, said of revenue and of profit alike, but those of the figure it is a change of (the
    figure before it in the sentence), which name what changed."""
    own = words[claim.value.start]
    if "change" not in claim.modifiers:
        return own
    dropped = _change_keys(language)
    out = {k: w for k, w in own.items() if k not in dropped}
    before = [c for c in claims if c.value.end <= claim.value.start and c.value.kind is not ValueKind.DATE
              and "change" not in c.modifiers and c.value.start in words]
    if before:
        for key, weight in words[before[-1].value.start].items():
            out[key] = max(out.get(key, 0.0), _SUBJECT_WEIGHT * weight)
    return out


def read_statements(index: "Index", policy: AlignPolicy = AlignPolicy(),
                    progress: Callable[[int], None] | None = None) -> Iterator[Statement]:
    """Every statement of every document, document by document (one pass over the sentences).

    ``progress`` is called with the number of documents done since its last call.
    """
    rows = index.sentences.rows
    documents = index.documents
    idf = index.lexical.idf
    default = max(idf.values(), default=3.0) if len(idf) else 3.0
    ids = documents.ids
    n = int(rows.shape[0])
    i = 0
    while i < n:
        d = int(rows[i, 0])
        j = i
        while j < n and int(rows[j, 0]) == d:
            j += 1
        text = documents.text_at(d)
        date = documents.metas()[d].get("date")
        previous = ""
        for sid in range(i, j):
            start, end = int(rows[sid, 1]), int(rows[sid, 2])
            sentence = text[start:end]
            claims = sentence_claims(ids[d], sid, start, sentence, date, previous)
            previous = sentence
            if not claims:
                continue
            lang = language_of(sentence)
            lex = lexicon(lang)
            reach = policy.reach_cjk if lang == "zh" else policy.reach_latin
            masked = skeleton(sentence, claims)
            dates = tuple(re.sub(r"\s+", "", fold(c.value.text)) if c.value.kind is ValueKind.DATE else ""
                          for c in claims)
            words: dict[int, dict[str, float]] = {}
            names: dict[int, frozenset[str]] = {}
            nouns: dict[int, str] = {}
            for claim in _fact_claims(claims):
                view, v0, v1 = claim_view(sentence, claims, claim)
                words[claim.value.start] = context_words(view, v0, v1, lex, idf, reach, default)
                if len(words[claim.value.start]) < _FEW_WORDS and claim.value.kind is ValueKind.DATE:
                    words[claim.value.start] = _with_clause(claim, claims, sentence, words[claim.value.start],
                                                            lex, idf, reach, default)
                names[claim.value.start] = numbered_names(view[:v0] + " " + view[v1:])
                nouns[claim.value.start] = counted_noun(view, v1, claim.value, lex)
            facts = _fact_claims(claims)
            elsewhere = words_elsewhere(sentence, claims, lex)
            for claim in facts:
                context = _with_subject(claim, claims, words, lang)
                around = elsewhere.get(claim.value.start, frozenset())
                yield Statement(claim, d, sentence, context, masked, claims.index(claim), family(claim.value), dates,
                                names[claim.value.start], nouns[claim.value.start], elsewhere=around)
                for reached in milestones(claim, facts):
                    joined = dict(context)
                    for key, weight in words[reached.value.start].items():
                        joined[key] = max(joined.get(key, 0.0), weight)
                    yield Statement(claim, d, sentence, joined, masked, claims.index(claim),
                                    f"{family(claim.value)}>{family(reached.value)}", dates, names[claim.value.start],
                                    nouns[claim.value.start], reached, elsewhere=around)
        if progress is not None:
            progress(1)
        i = j
