"""Which value in each source answers the question.

Every claim of the retrieved sentences whose kind fits the question is a candidate. A
candidate's score adds up what a careful reader looks at: how well its sentence supports the
question (meaning and words), how many of the question's words its own clause and its document
contain, and whether its unit is the one asked. A claim of another period or another measure
than the one asked is kept apart, to be shown but never compared. Each source answers with its
best candidate; sources whose best is close to the best of all are compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from index.claims import Claim
from index.text import normalise
from index.values import Value, ValueKind

from .question import Question
from .terms import english_stems

if TYPE_CHECKING:
    from ..answer import ScoredSentence


class Apart(str, Enum):
    """Why a value is shown but not compared."""

    OTHER_PERIOD = "other period"
    OTHER_MEASURE = "other measure"
    AMBIGUOUS = "one of several values in a list"


@dataclass(frozen=True)
class AlignPolicy:
    """Weights and thresholds of the alignment (measured on the development sets, not per item).

    Args:
        context_weight: weight of the share of question words in the value's own clause.
        document_weight: weight of the share of question words anywhere in the value's document.
        unit_weight: bonus for the unit or counter the question names.
        margin: sources whose best candidate scores within this of the best are compared.
        min_context: a candidate's clause or sentence must hold at least this share of the
            question's words (when the question has words the corpus knows).
        tie: two values of one source closer than this are equally good answers.
    """

    context_weight: float = 0.5
    document_weight: float = 0.3
    unit_weight: float = 0.15
    margin: float = 0.15
    min_context: float = 0.3
    tie: float = 0.02


@dataclass(frozen=True)
class Candidate:
    """A claim that may answer the question, the sentence it is quoted from, and its score."""

    claim: Claim
    sentence: "ScoredSentence"
    score: float
    context: float
    apart: Apart | None = None

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

    @property
    def docs(self) -> list[str]:
        return sorted({c.doc_id for c in self.chosen})


_STOCK_UNITS = ("person", "organisation", "item")


def unit_fits(question: Question, value: Value) -> bool:
    """The value's unit is compatible with the unit the question names (if it names one)."""
    asked = question.unit
    if not asked or value.kind is ValueKind.DATE:
        return True
    if value.kind is ValueKind.NUMBER:
        return True  # a bare number may count anything
    if value.unit == asked:
        return True
    if value.kind is ValueKind.MONEY:
        return asked in ("CNY", "HKD", "USD", "EUR", "GBP", "JPY", "TWD") or not asked.isupper()
    if value.kind is ValueKind.COUNT:
        return asked not in ("length", "area", "volume", "mass", "speed", "day", "%", "x")
    return False


def same_period(a: Value, b: Value) -> bool:
    """Two periods name the same time: the same span; a figure "as of" a date stands at the end of
    its month, so "截至2025年9月", "as of September 30, 2025" and "the end of Q3 2025" agree."""
    if a.as_of or b.as_of:
        return _end_month(a) == _end_month(b)
    return abs(a.low - b.low) < 1e-6 and abs(a.high - b.high) < 1e-6


def _end_month(v: Value) -> int:
    return int(v.high * 12 + 1e-9)


def align(question: Question, sentences: Sequence["ScoredSentence"],
          claims_of: Callable[["ScoredSentence"], Iterable[Claim]],
          document_text: Callable[[str], str], policy: AlignPolicy = AlignPolicy()) -> Alignment:
    """Score every fitting claim of ``sentences``; choose each source's answer."""
    candidates: list[Candidate] = []
    apart: list[Candidate] = []
    doc_cover: dict[str, float] = {}
    considered = 0
    for s in sentences:
        sentence_text = normalise(s.text)
        sentence_stems = english_stems(sentence_text) if any(question.terms.stems) else None
        sentence_cover = question.terms.coverage(sentence_text, sentence_stems)
        for claim in claims_of(s):
            v = claim.value
            if v.kind not in question.kinds or not unit_fits(question, v):
                continue
            if v.kind is not ValueKind.DATE and any(abs(v.number - n) < 1e-9 for n in question.numbers):
                continue  # the question's own figure
            considered += 1
            start, end = claim.context
            offset = claim.sentence[0]
            clause = normalise(s.text[max(0, start - offset):max(0, end - offset)])
            cover = max(question.terms.coverage(clause), 0.8 * sentence_cover) if question.terms else 0.0
            if claim.doc_id not in doc_cover:
                doc_cover[claim.doc_id] = question.terms.coverage(document_text(claim.doc_id)) if question.terms else 0.0
            score = (s.score + policy.context_weight * cover + policy.document_weight * doc_cover[claim.doc_id]
                     + (policy.unit_weight if question.unit and v.unit == question.unit else 0.0))
            reason = _apart(question, claim)
            candidate = Candidate(claim, s, score, cover, reason)
            (apart if reason else candidates).append(candidate)
    if question.terms and candidates:
        known = [c for c in candidates if c.context >= policy.min_context]
        if not known:
            return Alignment([], apart, considered)
        candidates = known
    chosen = _per_source(candidates, policy)
    apart = [c for c in apart if c.score >= (max((x.score for x in chosen), default=0.0) - policy.margin)]
    return Alignment(chosen, apart, considered)


def _apart(question: Question, claim: Claim) -> Apart | None:
    """Why a claim measures something else than the question asks, if it does."""
    if question.period is not None and claim.value.kind is not ValueKind.DATE:
        wanted = question.period_for(claim.doc_date)
        if claim.period is not None and wanted is not None and not same_period(claim.period, wanted):
            return Apart.OTHER_PERIOD
    asked = question.modifiers
    own = claim.modifiers
    if own != asked and (own - asked or asked - own - {"change"}):
        return Apart.OTHER_MEASURE
    return None


def _per_source(candidates: list[Candidate], policy: AlignPolicy) -> list[Candidate]:
    """Each source's best candidate(s), for the sources close to the best of all."""
    if not candidates:
        return []
    by_doc: dict[str, list[Candidate]] = {}
    for c in sorted(candidates, key=lambda c: (-c.score, c.claim.value.start)):
        by_doc.setdefault(c.doc_id, []).append(c)
    top = max(c.score for c in candidates)
    chosen: list[Candidate] = []
    for doc_id, ranked in by_doc.items():
        best = ranked[0]
        if best.score < top - policy.margin:
            continue
        tied = [c for c in ranked if c.score >= best.score - policy.tie]
        rivals = [c for c in tied if not c.value.overlaps(best.value)]
        if rivals and all(c.sentence.sentence_id == best.sentence.sentence_id for c in rivals):
            continue  # "0.97亿、6.21亿以及24.66亿": which one answers cannot be told
        chosen.extend([best] + rivals)
    return chosen
