"""Which value in each source answers the question.

Every claim of the retrieved sentences whose kind fits the question is a candidate. A
candidate's score adds up what a careful reader looks at: how well its sentence supports the
question (meaning and words), how many of the question's words its own clause and its document
contain, and whether its unit is the one asked. A claim of another period or another measure
than the one asked is kept apart, to be shown but never compared. Each source answers with its
best candidate; sources whose best is close to the best of all are compared.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Callable, Iterable, Protocol, Sequence

from index.claims import Claim
from index.text import fold, has_cjk, normalise
from index.values import Value, ValueKind, language_of, lexicon

from .names import in_list, named_for_role, with_names
from .question import OCCURRENCES, Question, ordinals_in
from .shares import MIN_IDF, other_part, share_in, swapped, unheard
from .terms import Term, context_words, english_stems, has_content, weighted_overlap

if TYPE_CHECKING:
    from ..answer import ScoredSentence


class Apart(str, Enum):
    """Why a value is shown but not compared."""

    OTHER_PERIOD = "other period"
    OTHER_MEASURE = "other measure"
    AMBIGUOUS = "one of several values in a list"
    OTHER_ONE = "another one of a series"  # "her second album" when the first is asked
    UNMATCHED = "worded too differently to tell it is the same figure"


@dataclass(frozen=True)
class AlignPolicy:
    """Weights and thresholds of the alignment (set on the development sets as a whole, never per item).

    A candidate scores ``support + sentence_weight·(question words in its sentence)
    + document_weight·(question words in its document) + local_weight·(question words near the
    value) + unit_weight·(the unit asked)``: the first three choose the sentence, the last two the
    value within it.

    Args:
        margin, min_same_context: sources whose best candidate scores within ``margin`` of the best
            of all are compared, if some of the words around their value are around it too;
        wide_margin, same_context, same_subject: so are those within ``wide_margin`` whose words
            around the value overlap those around the best one by ``same_context`` (weighted
            Jaccard, closer words weigh more, synonyms as one word) and whose document holds at
            least ``same_subject`` of the question words the best one's holds: a source on the same
            subject that words the fact its own way.
        unmatched_margin: when sources are compared, another source's best figure of the same kind
            and unit within this of the best one, on the same subject, that none of these rules
            joins is shown apart ("worded too differently"), so "agree" is not said over it unseen.
        milestone_margin: so are those within this whose sentence, like the best one's, states the
            figure the question names (how long until a million users: both say a million).
        same_value_margin, same_value_context: a source whose best candidate is the leading value
            itself joins when it scores within ``same_value_margin`` and shares that much context
            with the leader: the same figure, worded another way, corroborates it.
        self_context: a source contradicts itself when another of its sentences, within ``margin``,
            gives another value whose words overlap this much with those of its best one.
        same_event: a source whose value differs from the best one's is compared only when the two
            documents are this alike as a whole (two reports of one event are; two paragraphs of
            one article on other matters rarely are).
        min_context: a candidate's sentence must hold at least this share of the question's words,
            when the corpus knows some of them (a question in another language is not held to it).
        tie: values of one sentence closer than this cannot be told apart, unless one of them,
            among those within ``contrast_margin``, is alone in having no words of its own the
            question does not ask (it is then the answer).
        reach_cjk, reach_latin: characters at which a word near a value counts half.
        same_sentence: how alike two sources' sentences must be (numbers masked) to be the same
            sentence, whose differing numbers are then a disagreement.
        diff_margin: a differing value of such sentences is compared when it scores within this
            of the best candidate; diff_sentences: how many sentences of each source are matched.
        period_weight: bonus for a value of exactly the period the question names.
        focus_documents: near a value, words found in few of the first this many retrieved
            documents count more (they name the fact; the others, its subject).
        subject_share: a question word found in at least this share of those documents names its
            subject ("Marrow Star" when every retrieved article is on that musical); the others name
            the fact asked ("composer", "hired"). When the question has such fact words and each
            compared source's document, in the question's language, holds none of them, the
            sources speak of the subject, not of the fact: their values are quoted, and "agree"
            is not said (:attr:`Alignment.subject_only`).
        name_role: a name answers a who/where question only where the words of the asked role
            nearest to it make up this share of the role (:func:`.names.named_for_role`).
    """

    sentence_weight: float = 0.4
    document_weight: float = 0.3
    local_weight: float = 0.6
    unit_weight: float = 0.15
    margin: float = 0.1
    wide_margin: float = 0.5
    same_context: float = 0.12
    same_value_margin: float = 0.9
    same_value_context: float = 0.03
    self_context: float = 0.5
    min_same_context: float = 0.08
    same_subject: float = 0.6
    same_event: float = 0.6
    min_context: float = 0.2
    tie: float = 0.02
    contrast_margin: float = 0.1
    unmatched_margin: float = 0.2
    milestone_margin: float = 0.8
    reach_cjk: float = 6.0
    reach_latin: float = 20.0
    same_sentence: float = 0.85
    diff_margin: float = 0.4
    diff_sentences: int = 6
    period_weight: float = 0.1
    focus_documents: int = 12
    subject_share: float = 0.9
    name_role: float = 0.5


@dataclass(frozen=True)
class Candidate:
    """A claim that may answer the question, the sentence it is quoted from, and its score.

    ``context`` is the share of the question's words in its sentence, ``document`` in its
    document, ``local`` near the value (closer counts more).
    """

    claim: Claim
    sentence: "ScoredSentence"
    score: float
    context: float
    apart: Apart | None = None
    document: float = 0.0
    local: float = 0.0

    @property
    def doc_id(self) -> str:
        return self.claim.doc_id

    @property
    def value(self) -> Value:
        return self.claim.value


@dataclass
class Alignment:
    """The candidates chosen per source, and those kept apart."""

    chosen: list[Candidate]
    apart: list[Candidate]
    considered: int
    notes: list[str] = field(default_factory=list)
    unheard: tuple[str, ...] = ()  # words of the asked share no source uses: nothing answers it
    # the question's fact words when the chosen sources' documents hold none of them, only its
    # subject's (see AlignPolicy.subject_share): their values answer something else about it
    subject_only: tuple[str, ...] = ()

    @property
    def docs(self) -> list[str]:
        return sorted({c.doc_id for c in self.chosen})


def unit_fits(question: Question, value: Value) -> bool:
    """The value's unit is compatible with the unit the question names (if it names one)."""
    asked = question.unit
    if not asked or value.kind is ValueKind.DATE:
        return True
    if value.kind is ValueKind.NAME:
        return value.unit == asked  # a person for who, a place for where (see .names)
    if value.kind is ValueKind.NUMBER:
        # a bare number may count anything, but a magnitude alone ("营收破千亿") counts nothing the
        # question names, neither people (名, 人) nor a noun written out ("多少员工", "how many employees")
        return any(ch.isdigit() or ch in _NUMERALS for ch in value.text)
    if value.unit == asked:
        return True
    if asked == OCCURRENCES and value.kind in (ValueKind.MULTIPLE, ValueKind.PERCENT):
        return True  # "how many times oversubscribed": 120倍
    if value.kind is ValueKind.MONEY:
        return asked in ("CNY", "HKD", "USD", "EUR", "GBP", "JPY", "TWD") or not asked.isupper()
    if value.kind is ValueKind.MEASURE:
        return value.unit.startswith(asked) if asked.startswith("temperature") else False
    if value.kind is ValueKind.COUNT:
        if known_counter(asked) and known_counter(value.unit) and "item" not in (asked, value.unit):
            return False  # "how many shares" is not answered by a count of people (个 counts anything)
        return asked not in ("length", "area", "volume", "mass", "speed", "day", "%", "x")
    return False


_NUMERALS = frozenset("零〇一二两兩三四五六七八九十")


def known_counter(unit: str) -> bool:
    """``unit`` is what a ``[counters]`` word of a lexicon counts (``person``, ``share``), not a
    counted noun written out ("开发者"): two counts of different ones count different things."""
    return unit in lexicon("zh").counted or unit in lexicon("en").counted


def _states_year(value: Value) -> bool:
    """A date that writes its year ("1978年", "March 1939"), not one that takes it from the words
    around it ("2月", "May 27"): only those answer "哪一年", "what year"."""
    if value.kind is not ValueKind.DATE:
        return True
    if value.year_inferred:
        return False
    year = re.match(r"-?\d+", value.label)
    return "年" in value.text or (year is not None and year.group(0).lstrip("-") in value.text)


def same_period(a: Value, b: Value) -> bool:
    """Two periods name the same time: the same span; a figure "as of" a date stands at the end of
    its month, so "截至2025年9月", "as of September 30, 2025" and "the end of Q3 2025" agree. A day
    written without its year ("By May 27") is that day of the other's year."""
    if a.year_inferred != b.year_inferred:
        a, b = (_in_year_of(a, b), b) if a.year_inferred else (a, _in_year_of(b, a))
    if a.as_of or b.as_of:
        return _end_month(a) == _end_month(b)
    return abs(a.low - b.low) < 1e-6 and abs(a.high - b.high) < 1e-6


def _in_year_of(v: Value, other: Value) -> Value:
    shift = math.floor(other.low) - math.floor(v.low)
    return replace(v, low=v.low + shift, high=v.high + shift, number=v.number + shift)


def _end_month(v: Value) -> int:
    return int(v.high * 12 + 1e-9)


class Sources(Protocol):
    """What the alignment reads about the sources (``retriever.archive.Archive`` over an index)."""

    def claims_of(self, sentence: "ScoredSentence") -> list[Claim]:
        """The claims of a retrieved sentence."""

    def names_of(self, sentence: "ScoredSentence") -> list[Claim]:
        """The names a retrieved sentence states, as claims (who/where questions)."""

    def previous(self, sentence_id: int) -> str:
        """The text of the sentence before this one in its document ("" if none)."""

    def document_text(self, doc_id: str) -> str:
        """A document's normalised text."""

    def document_similarity(self, a: str, b: str) -> float:
        """How alike two documents are as a whole (cosine, 1 for the same one)."""


def align(question: Question, sentences: Sequence["ScoredSentence"], sources: Sources,
          policy: AlignPolicy = AlignPolicy()) -> Alignment:
    """Score every fitting claim of ``sentences``; choose each source's answer."""
    claims_of, document_text, previous = sources.claims_of, sources.document_text, sources.previous
    if ValueKind.NAME in question.kinds:
        claims_of = with_names(question, sources)
    candidates: list[Candidate] = []
    apart: list[Candidate] = []
    doc_cover: dict[str, float] = {}
    sentence_cover: dict[int, float] = {}
    considered = 0
    terms = question.terms
    idf = terms.idf
    focus = None
    fact_words: list[Term] = []
    if terms:
        docs = [document_text(d) for d in
                list(dict.fromkeys(s.passage.doc_id for s in sentences))[:policy.focus_documents]]
        shares = terms.shares(docs) if docs else None
        focus = terms.focus(shares)
        fact_words = [t for t, share in zip(terms.terms, shares or ()) if share < policy.subject_share]
    # "海外收入占服装业务收入的比例": a share of what in what
    asked_share = share_in(fold(question.text).lower(), lexicon(question.language), question=True) \
        if ValueKind.PERCENT in question.kinds else None
    asked_words = lexicon(question.language).question_words
    missing = unheard(asked_share, idf) if asked_share is not None else ()

    def informative(word: str) -> bool:
        return word not in asked_words and idf.get(word, MIN_IDF) >= MIN_IDF

    for s in sentences:
        fitting = [c for c in claims_of(s) if c.value.kind in question.kinds and unit_fits(question, c.value)
                   and (question.grain != "year" or _states_year(c.value))
                   and (c.value.kind is ValueKind.DATE or not any(abs(c.value.number - n) < 1e-9 for n in question.numbers))]
        if not fitting:
            continue
        considered += len(fitting)
        folded = fold(s.text).lower()
        before = normalise(previous(s.sentence_id)) if terms else ""
        sentence_cover[s.sentence_id] = cover = terms.coverage(normalise(s.text), before=before) if terms else 0.0
        doc = s.passage.doc_id
        if doc not in doc_cover:
            doc_cover[doc] = terms.coverage(document_text(doc)) if terms else 0.0
        base = s.score + policy.sentence_weight * cover + policy.document_weight * doc_cover[doc]
        reach = policy.reach_cjk if has_cjk(s.text) else policy.reach_latin
        own_claims = claims_of(s)
        # "her second solo album … September 5, 2006" when the first is asked
        places = ordinals_in(folded, lexicon(language_of(s.text))) if question.ordinals else frozenset()
        for claim in fitting:
            v = claim.value
            view, v0, v1 = _view(folded, own_claims, claim, by_dates=True)
            local = terms.near(view, v0, v1, reach, focus) if terms else 0.0
            unit = policy.unit_weight if question.unit and v.unit == question.unit else 0.0
            reason = _apart(question, claim)
            if reason is None and places and not places & question.ordinals:
                reason = Apart.OTHER_ONE
            if reason is None and v.kind is ValueKind.DURATION and question.numbers \
                    and _timed_figures(claim, own_claims, question) is Tie.OTHER:
                reason = Apart.OTHER_MEASURE  # "6个月内吸引了20万付费用户": the time to another figure
            if reason is None and missing and v.kind is ValueKind.PERCENT:
                reason = Apart.OTHER_MEASURE  # the share of something no source speaks of
            if reason is None and ValueKind.PERCENT in question.kinds and v.kind is ValueKind.PERCENT:
                stated = share_in(folded[:v.start - claim.sentence[0]], lexicon(language_of(s.text)))
                if stated is not None and (asked_share is not None and swapped(asked_share, stated, informative)
                                           or other_part(stated, terms, informative, asked_share)):
                    reason = Apart.OTHER_MEASURE  # the share of another part, or of the whole
            period = policy.period_weight if question.period is not None and claim.period is not None and not reason else 0.0
            candidate = Candidate(claim, s, base + policy.local_weight * local + unit + period, cover, reason,
                                  doc_cover[doc], local)
            (apart if candidate.apart else candidates).append(candidate)
    if terms.known:  # a sentence that does not speak of the question does not answer it
        candidates = [c for c in candidates if c.context >= policy.min_context]
    if ValueKind.NAME in question.kinds:
        candidates = named_for_role(question, candidates, policy.name_role)
        listed = [c for c in candidates if c.value.kind is ValueKind.NAME and in_list(c, claims_of(c.sentence))]
        apart += [replace(c, apart=Apart.AMBIGUOUS) for c in listed]
        candidates = [c for c in candidates if c not in listed]

    if question.period is not None and any(c.claim.period is None for c in candidates):
        # a figure whose sentence names no period answers a question about 2024 only when no
        # source states the figure for 2024 or for any other period
        dated = [c for c in candidates if c.claim.period is not None]
        other = [c for c in apart if c.apart is Apart.OTHER_PERIOD and c.context >= policy.min_context]
        if dated or other:
            candidates = dated
    lex = lexicon(question.language)
    bags: dict[tuple[int, int], dict[str, float]] = {}

    def context(c: Candidate) -> dict[str, float]:
        key = (c.claim.sentence_id, c.value.start)
        if key not in bags:
            reach = policy.reach_cjk if has_cjk(c.sentence.text) else policy.reach_latin
            view, v0, v1 = _view(c.sentence.text, claims_of(c.sentence), c.claim, by_dates=False)
            bags[key] = context_words(view, v0, v1, lex, idf, reach)
        return bags[key]

    named: dict[int, frozenset[str]] = {}

    def names(c: Candidate) -> frozenset[str]:
        sid = c.sentence.sentence_id
        if sid not in named:
            named[sid] = terms.names_in(normalise(c.sentence.text) + "\n" + normalise(previous(sid)))
        return named[sid]

    ties: dict[tuple[int, int], Tie] = {}

    def states_asked_figure(c: Candidate) -> bool:
        """The candidate's sentence states a figure the question names ("…用户突破100万" asked of
        "上线三个月，注册用户超过100万"): it speaks of the milestone the question asks about, unless
        its own clause ties it to another figure only ("4周内吸引了超过8万名会员", asked of 50万)."""
        key = (c.claim.sentence_id, c.value.start)
        if key not in ties:
            ties[key] = _timed_figures(c.claim, claims_of(c.sentence), question)
        return ties[key] is Tie.ASKED

    def milestone(c: Candidate, other: Candidate) -> bool:
        return bool(question.numbers) and states_asked_figure(c) and states_asked_figure(other)

    def alike(c: Candidate, other: Candidate) -> float:
        overlap = weighted_overlap(context(c), context(other))
        return max(overlap, policy.same_context) if milestone(c, other) else overlap

    def unasked(c: Candidate) -> frozenset[str]:
        """The words around the value that no question word is found in."""
        return frozenset(k for k in context(c) if not k.startswith("=") and not terms.found(k))

    def counts_asked(c: Candidate) -> bool | None:
        """Whether the noun the value counts is one the question asks ("客户超3.4万家" asked of
        customers: yes; "注册用户超900万": no); None when it counts no noun."""
        nouns = [k[1:] for k in context(c) if k.startswith("=")]
        return any(terms.found(n) for n in nouns) if nouns else None

    # of a sentence's values, those that count another noun are not its answer when one of them
    # counts the asked noun ("客户数3.4万家，开发者数60万" asked of developers: 60万)
    counts = {id(c): counts_asked(c) for c in candidates}
    counting = {c.claim.sentence_id for c in candidates if counts[id(c)]}
    candidates = [c for c in candidates if c.claim.sentence_id not in counting or counts[id(c)] is not False]
    chosen, ambiguous, unmatched = _per_source(candidates, policy, alike, milestone, sources.document_similarity,
                                               names, unasked)
    chosen, notes = _differences(question, chosen, ambiguous, candidates, claims_of, policy)
    top = max((c.score for c in chosen), default=0.0)
    compared = {c.doc_id for c in chosen}
    # where sources are compared, another's figure nearly as good an answer is shown beside them
    shown = [replace(c, apart=Apart.UNMATCHED) for c in unmatched if c.doc_id not in compared] \
        if len(compared) >= 2 else []
    return Alignment(chosen, shown + [c for c in apart if c.score >= top - policy.margin], considered, notes, missing,
                     _subject_only(question, chosen, fact_words, document_text))


def _subject_only(question: Question, chosen: Sequence[Candidate], fact_words: Sequence[Term],
                  document_text: Callable[[str], str]) -> tuple[str, ...]:
    """The question's fact words (those that do not name its subject) when no chosen source's
    document holds any of them, even in part; else ``()``. Only said of sources in the question's
    language: a translation words the fact otherwise."""
    if not chosen or not fact_words or any(language_of(c.sentence.text) != question.language for c in chosen):
        return ()
    for doc in {c.doc_id for c in chosen}:
        text = document_text(doc)
        stems = english_stems(text) if any(t.stems for t in fact_words) else frozenset()
        if any(t.found_in(text, stems) > 0 for t in fact_words):
            return ()
    return tuple(t.word for t in fact_words)


def claim_view(text: str, claims: Sequence[Claim], claim: Claim) -> tuple[str, int, int]:
    """The part of its sentence ``text`` that speaks of ``claim`` (see :func:`value_view`), the
    sentence's other values blanked, as the alignment compares two sources' contexts; and the
    value's span in it."""
    return _view(text, claims, claim, by_dates=False)


def _view(text: str, claims: Sequence[Claim], claim: Claim, by_dates: bool) -> tuple[str, int, int]:
    """:func:`value_view` of ``claim`` in its sentence ``text`` (or a same-length folding of it),
    with the sentence's other values blanked: their digits and date words ("2024年", "上半年") say
    nothing of what the figure is. A stretch is ended by the other values, or ``by_dates=False``
    by the other figures only (for a figure: a date says when it holds, not what it is, and
    "The city's population in 2010 was 44%" speaks of the population)."""
    offset = claim.sentence[0]
    spans = [(c.value.start - offset, c.value.end - offset) for c in claims]
    value = claim.value
    bounds = [(c.value.start - offset, c.value.end - offset) for c in claims
              if by_dates or value.kind is ValueKind.DATE or c.value.kind is not ValueKind.DATE]
    start, end = value.start - offset, value.end - offset
    chars = list(text)
    for a, b in spans:
        if (a, b) != (start, end):
            chars[a:b] = " " * (b - a)
    return value_view("".join(chars), start, end, spans, bounds)


_OPEN, _CLOSE = "(（[【", ")）]】"
# where one value's stretch ends and the next one's begins: "首批认购230倍、次批认购18倍"
_SEPARATOR = re.compile(r"[、，；;：:。！？!?]|,(?!\d{3})")


def value_view(text: str, start: int, end: int, spans: Sequence[tuple[int, int]],
               bounds: Sequence[tuple[int, int]] | None = None) -> tuple[str, int, int]:
    """The part of a sentence that speaks of the value at ``[start, end)``, for telling it from the
    sentence's other values.

    That is its own stretch: from the value or clause mark before it to the value or clause mark
    after it ("首批认购230倍、次批认购18倍"), without asides in brackets
    that do not hold it ("2022年8440万元(占营收147%),2023年…": that 营收 is said of 147%). When the
    stretch has no words of its own ("1969年，韩国废除…"), the stretch between the values around it;
    when neither has ("…:2022年A,2023年B"), the sentence's opening words before its first value,
    which name what the list is of; and when the values open the sentence ("1908年，5月，被聘任…"),
    the words after the last of them. Returns the text and the value's span in it.

    ``spans`` are where the sentence's values stand (clause marks inside them do not count);
    ``bounds``, those of them that end a stretch (by default all: the caller leaves out the dates
    that only say when a figure holds, "The city's population in 2010 was 44%").
    """
    bounds = spans if bounds is None else bounds
    for bounded in (True, False):
        own, v0, v1, lo = _stretch(text, start, end, spans, bounds, bounded)
        if _has_words(own[:v0] + own[v1:]):
            return own, v0, v1
    first = min((s for s, _ in bounds), default=start)
    # "净利:2021年3.2亿元,…" is led by its opening words; "2021年净利3.2亿元,2022年4.1亿元" by
    # its first item's, which the items after it leave unsaid
    if lo > 0 and first > 0:
        lead = _first_item(text, start, spans, bounds)
        if lead:
            return lead + " " + own, v0 + len(lead) + 1, v1 + len(lead) + 1
        head = text[:first]
        return head + own, v0 + len(head), v1 + len(head)
    # "1908年，5月，被总督府聘任…": dates that open the sentence are said of what it then says
    last = max((e for _, e in bounds), default=end)
    tail = text[last:]
    if last >= end and has_content(tail):
        return own + " " + tail, v0, v1
    return own, v0, v1


def _first_item(text: str, start: int, spans: Sequence[tuple[int, int]], bounds: Sequence[tuple[int, int]]) -> str:
    """The words of a list's first item, said before a later item that has none of its own
    ("2021年净利3.2亿元,2022年4.1亿元": 净利); "" when the first item has none either."""
    before = sorted(b for b in bounds if b[1] <= start)
    if not before:
        return ""
    a, b = before[0]
    own, v0, v1, _ = _stretch(text, a, b, spans, bounds, True)
    words = own[:v0] + " " + own[v1:]
    return words if _has_words(words) else ""


def value_stretch(text: str, start: int, end: int, spans: Sequence[tuple[int, int]],
                  bounds: Sequence[tuple[int, int]] | None = None) -> tuple[int, int]:
    """Where the own stretch of the value at ``[start, end)`` of ``text`` lies: from the value
    (of ``bounds``, by default all ``spans``) or clause mark before it to the value or clause mark
    after it, as :func:`value_view` first reads it."""
    own, _, _, lo = _stretch(text, start, end, spans, spans if bounds is None else bounds, True)
    return lo, lo + len(own)


def _has_words(text: str) -> bool:
    """Whether ``text`` holds a word that says what a figure is, years and digits left out."""
    return has_content(re.sub(r"\d+\s*年|\d+", " ", text))


def _stretch(text: str, start: int, end: int, spans: Sequence[tuple[int, int]], bounds: Sequence[tuple[int, int]],
             separators: bool) -> tuple[str, int, int, int]:
    before = [e for s, e in bounds if e <= start]
    after = [s for s, e in bounds if s >= end]
    if separators:
        marks = [m for m in _SEPARATOR.finditer(text) if not any(s <= m.start() < e for s, e in spans)]
        before += [m.end() for m in marks if m.end() <= start]
        after += [m.start() for m in marks if m.start() >= end][:1]
    lo = max(before, default=0)
    hi = min(after, default=len(text))
    chars = list(text[lo:hi])
    depth = 0
    for i, ch in enumerate(chars):
        if ch in _OPEN:
            depth += 1
        aside = depth > 0 and not start <= lo + i < end
        if ch in _CLOSE and depth:
            depth -= 1
        if aside:
            chars[i] = " "
    return "".join(chars), start - lo, end - lo, lo


class Tie(Enum):
    """Which figure a value's sentence ties it to, for a question that names one ("多久用户突破100万")."""

    ASKED = "asked"  # the sentence states the named figure, and the value's clause no other only
    OTHER = "other"  # the value's clause holds only figures the question does not name
    NONE = "none"


def _timed_figures(claim: Claim, claims: Iterable[Claim], question: Question) -> Tie:
    """:class:`Tie` of ``claim`` ("6个月内吸引了20万付费用户" is OTHER when 100万 is asked)."""
    def named(value: Value) -> bool:  # the same figure, however written ("90分钟", "一个半小时")
        return any(value.low <= n <= value.high or abs(value.number - n) <= 1e-9 * max(1.0, abs(n))
                   for n in question.numbers)

    others = [o for o in claims if o.value.kind is not ValueKind.DATE and o.value is not claim.value]
    lo, hi = claim.context
    clause = [o for o in others if lo <= o.value.start < hi]
    if clause and not any(named(o.value) for o in clause):
        return Tie.OTHER
    return Tie.ASKED if any(named(o.value) for o in others) else Tie.NONE


def _apart(question: Question, claim: Claim) -> Apart | None:
    """Why a claim measures something else than the question asks, if it does."""
    if question.period is not None and claim.value.kind is not ValueKind.DATE:
        wanted = question.period_for(claim.doc_date)
        if claim.period is not None and wanted is not None and not same_period(claim.period, wanted):
            return Apart.OTHER_PERIOD
    if claim.value.kind in (ValueKind.DATE, ValueKind.NAME):
        return None  # "哪一年改为每年2月举行": a measure word qualifies figures, not the date asked
    asked = question.modifiers
    own = claim.modifiers
    if own != asked and (own - asked or asked - own - {"change", "expected"}):
        return Apart.OTHER_MEASURE
    return None


def _per_source(candidates: list[Candidate], policy: AlignPolicy, alike: Callable[[Candidate, Candidate], float],
                milestone: Callable[[Candidate, Candidate], bool], similarity: Callable[[str, str], float],
                names: Callable[[Candidate], frozenset[str]], unasked: Callable[[Candidate], frozenset[str]]
                ) -> tuple[list[Candidate], dict[str, list[Candidate]], list[Candidate]]:
    """Each source's best candidate(s), for the sources that answer what the best of all answers;
    the sources whose best sentence holds several values that cannot be told apart; and the other
    sources' best candidates that answer nearly as well with another figure but could not be
    matched to the leader's fact (shown apart, so "agree" is never said over them unseen).

    A source's best candidate joins when it scores within ``margin`` of the best of all, or within
    ``wide_margin`` when the words around it are those around the best one (``same_context``):
    a source that words the fact its own way ("共设21座车站", "设车站26座") still speaks of it.
    """
    if not candidates:
        return [], {}, []
    by_doc: dict[str, list[Candidate]] = {}
    for c in sorted(candidates, key=lambda c: (-c.score, c.claim.value.start)):
        by_doc.setdefault(c.doc_id, []).append(c)
    leader = max(candidates, key=lambda c: c.score)
    top = leader.score
    chosen: list[Candidate] = []
    ambiguous: dict[str, list[Candidate]] = {}
    unmatched: list[Candidate] = []
    agreeing = [d for d, ranked in by_doc.items() if ranked[0].value.overlaps(leader.value)]
    for doc_id, ranked in by_doc.items():
        best = ranked[0]
        if best is not leader:
            # of a source's answers too close to tell apart, the leading figure itself (said in
            # another of its sentences) is its answer: the score cannot choose, the other sources can
            same = [c for c in ranked if best.score - c.score <= policy.tie and c.value.overlaps(leader.value)
                    and c.sentence.sentence_id != best.sentence.sentence_id]
            if same and not best.value.overlaps(leader.value):
                best, ranked = same[0], [same[0]] + [c for c in ranked if c is not same[0]]
            overlap = 1.0 if _same_place(best, leader) else alike(best, leader)
            close = best.score >= top - policy.margin and overlap >= policy.min_same_context
            if not close and _corroborates(best, leader, overlap, top, policy):
                close, ranked = True, [best]
            if not close:
                # a source that words the fact its own way: its value said of what the leader's is
                # said of, on the same subject, not far behind on the question (or of the milestone
                # the question names, as the leader's is)
                subject = policy.same_subject * leader.document
                fitting = [(alike(c, leader), c) for c in ranked
                           if c.score >= top - policy.wide_margin and c.document >= subject
                           or milestone(c, leader) and c.score >= top - policy.milestone_margin]
                fitting = [(a, c) for a, c in fitting if a >= policy.same_context]
                if not fitting:
                    if best.score >= top - policy.unmatched_margin and best.document >= subject \
                            and best.value.kind is leader.value.kind and best.value.unit == leader.value.unit \
                            and not best.value.overlaps(leader.value):
                        unmatched.append(best)  # nearly as good an answer, another figure: shown, not hidden
                    continue
                best = max(fitting, key=lambda ac: (ac[0], ac[1].score))[1]
                if not best.value.overlaps(leader.value) and any(
                        c.value.overlaps(leader.value) and c.score > best.score for c in ranked):
                    # the source gives the leading figure itself as a better answer than this one:
                    # a lesser figure that shares a word with the leader's is not its answer
                    continue
                ranked = [best] + [c for _, c in fitting if c is not best]  # the others are said of other things
        # values of one sentence nearly as good: the one whose own words the question asks
        close = [c for c in ranked if c.sentence.sentence_id == best.sentence.sentence_id
                 and best.score - c.score <= policy.contrast_margin]
        told = _told_by_contrast(close, unasked) if len(close) > 1 else None
        if told is not None and told is not best:
            best, ranked = told, [told] + [c for c in ranked if c is not told]
        tied = [c for c in ranked if abs(c.score - best.score) <= policy.tie]
        rivals = [c for c in tied if not c.value.overlaps(best.value)]
        if told is None and rivals and all(c.sentence.sentence_id == best.sentence.sentence_id for c in rivals):
            ambiguous[doc_id] = tied  # "0.85亿、3.4亿以及12.6亿": which one answers cannot be told
            continue
        if best is not leader and not best.value.overlaps(leader.value):
            # a different figure must be said of the same thing: its document is on the same event
            # as a document that states the leading value, and where the leader's sentence (or the
            # one before it) names what the question names (a film's title), its sentence does too
            if max(similarity(best.doc_id, d) for d in agreeing) < policy.same_event:
                continue
            if names(leader) - names(best):
                continue
        # the source contradicts itself when another sentence of it, nearly as good an answer, gives
        # another value said of the same thing ("employs 300 workers" … "employs 350 workers")
        others = [c for c in ranked if c.score >= best.score - policy.margin and not c.value.overlaps(best.value)
                  and c.sentence.sentence_id != best.sentence.sentence_id
                  and alike(c, best) >= policy.self_context]
        chosen.extend([best] + others[:1])
    return chosen, ambiguous, unmatched


def _told_by_contrast(tied: list[Candidate], unasked: Callable[[Candidate], frozenset[str]]) -> Candidate | None:
    """Of tied values of one sentence, the one whose own words are all asked when each other one
    has a word of its own the question does not ask ("首批认购230倍、次批认购18倍" asked of the
    first batch: 次批 says the second is another batch); else None."""
    own = {id(c): unasked(c) for c in tied}
    clean = [c for c in tied if not own[id(c)] - frozenset().union(*(own[id(o)] for o in tied if o is not c))]
    if len(clean) != 1:
        return None
    told = clean[0]
    others = [c for c in tied if not c.value.overlaps(told.value)]
    return told if all(own[id(c)] - own[id(told)] for c in others) else None


def _corroborates(best: Candidate, leader: Candidate, alike: float, top: float, policy: AlignPolicy) -> bool:
    """A source's best answer is the leading value itself (the same figure, or the same date as
    written, not one year-inferred), however it words the fact: it corroborates the leader."""
    a, b = best.value, leader.value
    if a.kind is not b.kind or a.unit != b.unit or not a.overlaps(b):
        return False
    if a.kind is ValueKind.DATE and (a.label != b.label or a.year_inferred):
        return False  # "1952" holds "May 27" of any sentence
    return best.score >= top - policy.same_value_margin and alike >= policy.same_value_context


def _same_place(a: Candidate, b: Candidate) -> bool:
    """The two values stand at the same place of the same sentence (two outlets printing it):
    said of the same thing, whatever the words around them."""
    return (a.value.start - a.claim.sentence[0] == b.value.start - b.claim.sentence[0]
            and fold(a.sentence.text).lower() == fold(b.sentence.text).lower())


def _differences(question: Question, chosen: list[Candidate], ambiguous: dict[str, list[Candidate]],
                 candidates: list[Candidate], claims_of: Callable[["ScoredSentence"], Iterable[Claim]],
                 policy: AlignPolicy) -> tuple[list[Candidate], list[str]]:
    """Two sources printing the same sentence with one figure changed disagree on that figure.

    For every two sources being compared, their retrieved sentences are matched: sentences that
    are the same apart from their numbers, with a value of the asked kind that differs, show what
    the sources disagree on. That value is compared for both sources when it answers the question
    nearly as well as the one first chosen (which may be another figure both print alike);
    otherwise the difference is reported in a note, so "agree" is never said over it unseen.
    """
    firsts: dict[str, Candidate] = {}
    for c in chosen:
        firsts.setdefault(c.doc_id, c)
    for doc, tied in ambiguous.items():
        firsts.setdefault(doc, tied[0])
    if len(firsts) < 2:
        return chosen, []
    by_claim = {(c.claim.sentence_id, c.value.start): c for c in candidates}
    sentences: dict[str, list["ScoredSentence"]] = {}
    for c in sorted(candidates, key=lambda c: -c.score):
        if c.doc_id in firsts:
            own = sentences.setdefault(c.doc_id, [])
            if c.sentence not in own and len(own) < policy.diff_sentences:
                own.append(c.sentence)
    top = max(c.score for c in firsts.values())
    replaced: dict[str, Candidate] = {}
    notes: list[str] = []
    docs = sorted(firsts, key=lambda d: -firsts[d].score)
    for i, a in enumerate(docs):
        for b in docs[i + 1:]:
            found: list[tuple[Candidate, Candidate]] = []
            for sa in sentences.get(a, ()):
                for sb in sentences.get(b, ()):
                    for x, y in differing_values(sa.text, list(claims_of(sa)), sb.text, list(claims_of(sb)),
                                                 policy.same_sentence):
                        cx, cy = by_claim.get((x.sentence_id, x.value.start)), by_claim.get((y.sentence_id, y.value.start))
                        if cx is not None and cy is not None:
                            found.append((cx, cy))
            if not found:
                continue
            x, y = max(found, key=lambda p: p[0].score + p[1].score)
            if max(x.score, y.score) >= top - policy.diff_margin:
                replaced[a], replaced[b] = x, y
            else:
                notes.append(f"{a} and {b} print the same sentence with {x.value.text} and {y.value.text}")
    if not replaced:
        return chosen, notes
    out = [c for c in chosen if c.doc_id not in replaced]
    return out + [replaced[d] for d in docs if d in replaced], notes


def differing_values(text_a: str, claims_a: list[Claim], text_b: str, claims_b: list[Claim],
                     threshold: float) -> list[tuple[Claim, Claim]]:
    """The values at the same places of two sentences that are the same apart from their numbers,
    and that cannot be the same value. Empty when the sentences differ otherwise."""
    if len(claims_a) != len(claims_b) or not claims_a:
        return []
    if _skeleton_ratio(text_a, claims_a, text_b, claims_b) < threshold:
        return []
    return [(x, y) for x, y in zip(claims_a, claims_b)
            if x.value.kind is y.value.kind and not x.value.overlaps(y.value)]


def skeleton(text: str, claims: list[Claim]) -> str:
    """A sentence with each of its values masked, folded and without spaces: two outlets printing
    the same sentence with other figures have the same skeleton."""
    offset = claims[0].sentence[0]
    out, pos = [], 0
    for c in sorted(claims, key=lambda c: c.value.start):
        start, end = c.value.start - offset, c.value.end - offset
        out.append(text[pos:max(pos, start)])
        out.append("\x00")
        pos = max(pos, end)
    out.append(text[pos:])
    return re.sub(r"\s+", "", fold("".join(out)).lower())


def _skeleton_ratio(text_a: str, claims_a: list[Claim], text_b: str, claims_b: list[Claim]) -> float:
    return skeleton_ratio(skeleton(text_a, claims_a), skeleton(text_b, claims_b))


def skeleton_ratio(a: str, b: str) -> float:
    """How alike two skeletons are (1.0 for the same; 0.0 when plainly unlike)."""
    if a == b:
        return 1.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio() if matcher.real_quick_ratio() >= 0.5 else 0.0
