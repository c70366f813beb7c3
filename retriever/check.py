"""Fact-checking: which claims answer a question, and do the sources agree?

A question is read for the quantity it asks about (by its Chinese or English
words, else by meaning with the embedder), the qualifiers that make it a
particular measure (on-premise, Hong Kong tranche...) and its period. The
claims of the retrieved passages that state that quantity for that period are
compared as intervals (precision and hedges widen them): overlapping values
agree (3.12 and 3.124; "超240亿" and 243.77), disjoint values from different
sources conflict (23.58亿 and 17.52亿).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from index.claims import QUANTITIES, Claim, canonical_period, find_periods, periods_match, qualifiers_in, quantity_def, quantity_in
from index.text import fold

if TYPE_CHECKING:
    from index.embedders import Embedder

CONSISTENT = "consistent"
SINGLE_SOURCE = "single_source"
CONFLICT = "conflict"

_MONEY = ("CNY", "HKD", "USD")
_TIME = ("month", "day", "week", "hour", "quarter", "year")

# What kind of value the question wants, from its wording.
_WANTS = (
    (re.compile(r"排名|排第|第几|\brank"), "rank"),
    (re.compile(r"多少倍|几倍|how many times|what multiple|multiple"), "x"),
    (re.compile(r"百分之|比例|比重|占比|份额|几成|%|percentage|percent|what share|what proportion|what fraction"), "%"),
    (re.compile(r"多久|多长时间|几个月|几天|多少天|how long|how many months|how many days|how quickly|how soon|how fast"), "time"),
    (re.compile(r"多少钱|金额|多少亿|多少元|人民币|港元|美元|how much|amount"), "money"),
    (re.compile(r"多少家|多少名|多少人(?!民币)|多少台|多少个|多少次|多少款|多少轮|几家|几轮|how many"), "count"),
)

_EN_PERIOD = (
    (re.compile(r"(?:through|to|until|by)\s*(?:the\s*)?(?:mid-?|middle of\s*)(20\d{2})"), "{y}H1"),
    (re.compile(r"(?:first half|1h|h1|first six months)\s*(?:of\s*)?(?:fy)?\s*'?(20\d{2}|\d{2})\b"), "{y}H1"),
    (re.compile(r"\b(20\d{2})\s*(?:h1|1h|first half)"), "{y}H1"),
    (re.compile(r"(?:second half|2h|h2)\s*(?:of\s*)?(20\d{2})"), "{y}H2"),
    (re.compile(r"(?:third quarter|q3)\s*(?:of\s*)?(20\d{2})"), "{y}Q3"),
    (re.compile(r"(?:end of |as of |at the end of |by )?(?:june|jun\.?)\s*(?:30,?\s*)?(20\d{2})"), "{y}-06"),
    (re.compile(r"(?:end of |as of |by )?(?:september|sept?\.?)\s*(?:30,?\s*)?(20\d{2})"), "{y}-09"),
    (re.compile(r"(20\d{2})\s*(?:to|-|–|through)\s*(20\d{2})"), "{y}-{y2}"),
    (re.compile(r"\b(20\d{2})\b"), "{y}"),
)


@dataclass(frozen=True)
class QuestionFrame:
    """What a question asks: quantity, qualifiers, period and the kind of value."""

    quantity: str
    qualifiers: frozenset[str]
    period: str
    wants: str
    by_meaning: bool = False
    folded: str = ""

    def period_for(self, article_date: str | None) -> str:
        """The question's period as the article dated ``article_date`` would mean it:
        "今年上半年" asked of an article from December 2025 is 2025H1."""
        if article_date and _RELATIVE.search(self.folded):
            return _question_period(self.folded, self.folded, article_date) or self.period
        return self.period

    @property
    def qualifiers_asked(self) -> bool:
        """The question names a particular measure or holder (not just the quantity)."""
        return bool(self.qualifiers) or _names_holder(self.folded)

    def to_dict(self) -> dict[str, Any]:
        return {"quantity": self.quantity, "qualifiers": sorted(self.qualifiers), "period": self.period,
                "wants": self.wants, "matched_by_meaning": self.by_meaning}


class QuestionReader:
    """Maps a question to a :class:`QuestionFrame`; English and paraphrases fall back to meaning."""

    def __init__(self, embedder: "Embedder", min_similarity: float = 0.45) -> None:
        self._embedder = embedder
        self._min_similarity = min_similarity
        self._vectors: np.ndarray | None = None

    def read(self, question: str, question_vector: np.ndarray | None = None, today: str | None = None) -> QuestionFrame:
        low = fold(question).lower()
        wants = next((kind for pattern, kind in _WANTS if pattern.search(low)), "")
        quantity = _quantity_by_words(low, wants)
        by_meaning = False
        if not quantity and question_vector is not None:
            quantity = self._quantity_by_meaning(question_vector, wants)
            by_meaning = bool(quantity)
        period = _question_period(question, low, today)
        return QuestionFrame(quantity, qualifiers_in(question), period, wants, by_meaning, low)

    def _quantity_by_meaning(self, vector: np.ndarray, wants: str) -> str:
        if self._vectors is None:
            self._vectors = self._embedder.embed_queries([q.description for q in QUANTITIES])
        sims = self._vectors @ vector
        for i in np.argsort(-sims):
            if sims[i] < self._min_similarity:
                return ""
            if _unit_fits(QUANTITIES[i].units, wants):
                return QUANTITIES[i].id
        return ""


# Most specific first: a region says more than a business line.
_SPECIFICITY = ("sea", "europe", "namerica", "mideast", "japan", "overseas", "hk", "intl", "founders", "top5",
                "salary", "coding", "api", "maas", "onprem", "cloud", "cumulative")
_RELATIVE = re.compile(r"今年|去年|本年|前年")
_HOLDER_QUESTION = re.compile(r"^(?P<h>[\u4e00-\u9fff]{2,6}?)(?:在|于|对)?.{0,8}(?:持有|持股|拥有)")


_HOLDER_QUESTION_EN = re.compile(r"\bdoes (?!zhipu)[a-z][\w&.-]* (?:own|hold)|\b(?!zhipu)[a-z][\w&.-]*'s (?:stake|shareholding)")


def _names_holder(folded: str) -> bool:
    """"阿里巴巴持有智谱多少股份", "What stake does Tencent own?": a question about one holder's stake."""
    return bool(_HOLDER_QUESTION.search(folded) or _HOLDER_QUESTION_EN.search(folded))


def _unit_fits(units: Sequence[str], wants: str) -> bool:
    if not wants:
        return True
    if wants == "money":
        return any(u in _MONEY for u in units)
    if wants == "time":
        return "month" in units
    return wants in units or (wants == "x" and "%" in units)


def _quantity_by_words(low: str, wants: str) -> str:
    found: list[tuple[int, int, str]] = []
    for start, end, qid in quantity_in(low):
        found.append((end - start, start, qid))
    for q in QUANTITIES:
        for phrase in q.en:
            for m in re.finditer(r"\b" + re.escape(phrase), low):
                found.append((len(phrase), m.start(), q.id))
    if wants == "time":
        return "duration"
    if wants == "rank":
        return ""  # a ranking is stated in words, not as a value to compare
    fitting = [f for f in found if _unit_fits(quantity_def(f[2]).units, wants)]  # type: ignore[union-attr]
    pool = fitting or found
    if not pool:
        return ""
    if any("\u4e00" <= ch <= "\u9fff" for ch in low):
        # a Chinese question names what it asks last: "最后一轮融资完成后，智谱的估值是多少"
        return max(pool, key=lambda f: (f[1], f[0]))[2]
    # an English one by its most specific phrase
    return max(pool, key=lambda f: (f[0], -f[1]))[2]


def _question_period(question: str, low: str, today: str | None) -> str:
    periods = [p for p in find_periods(question, today) if p.kind != "day"]
    if periods:
        return periods[-1].label
    for pattern, template in _EN_PERIOD:
        m = pattern.search(low)
        if m:
            y = m.group(1)
            y = y if len(y) == 4 else "20" + y
            y2 = m.group(2) if m.lastindex and m.lastindex >= 2 else ""
            return template.format(y=y, y2=y2)
    return ""


# ----------------------------------------------------------------------------- comparison


@dataclass
class ValueGroup:
    """Claims that state the same value (their intervals overlap), and the sources behind them."""

    claims: list[Claim]

    @property
    def doc_ids(self) -> list[str]:
        return sorted({c.doc_id for c in self.claims})

    @property
    def low(self) -> float:
        return max(c.low for c in self.claims)

    @property
    def high(self) -> float:
        return min(c.high for c in self.claims)

    @property
    def latest_date(self) -> str:
        return max((reported(c) for c in self.claims), default="")

    def label(self) -> str:
        """The value as most sources write it (unhedged spellings first)."""
        exact = [c for c in self.claims if not c.hedge] or self.claims
        counts: dict[str, int] = {}
        for c in exact:
            key = fold(c.text).replace(" ", "")
            counts[key] = counts.get(key, 0) + 1
        best = max(counts, key=lambda k: (counts[k], -len(k)))
        return next(c.text for c in exact if fold(c.text).replace(" ", "") == best)


@dataclass
class CheckResult:
    """The comparison of the claims that answer a question."""

    frame: QuestionFrame
    verdict: str
    claims: list[Claim]
    groups: list[ValueGroup]
    period: str
    notes: list[str] = field(default_factory=list)
    other_periods: list[str] = field(default_factory=list)


def reported(claim: Claim) -> str:
    """When a claim's figure was reported: its sentence's date, else its article's."""
    return claim.reported or claim.doc_date or ""


def _compatible(a: Claim, b: Claim) -> bool:
    return a.low <= b.high and b.low <= a.high


def _unit_class(unit: str) -> str:
    return "money" if unit in _MONEY else "time" if unit in _TIME else unit


def group_values(claims: Sequence[Claim]) -> list[ValueGroup]:
    """Partition claims into groups whose members all overlap (precise values first)."""
    groups: list[ValueGroup] = []
    ordered = sorted(claims, key=lambda c: ((c.high - c.low) / (abs(c.value) or 1), c.value))
    for claim in ordered:
        home = next((g for g in groups if _unit_class(g.claims[0].unit) == _unit_class(claim.unit)
                     and (g.claims[0].unit == claim.unit or _unit_class(claim.unit) == "time")
                     and all(_compatible(claim, other) for other in g.claims)), None)
        if home is None:
            groups.append(ValueGroup([claim]))
        else:
            home.claims.append(claim)
    return sorted(groups, key=lambda g: (-len(g.doc_ids), g.claims[0].value))


def _to_common_unit(claim: Claim) -> Claim:
    """Durations in months, so 两个月 and 3個月 and 半年 compare."""
    factor = {"day": 1 / 30, "week": 7 / 30, "quarter": 3.0, "year": 12.0, "hour": 1 / 720}.get(claim.unit)
    if factor is None:
        return claim
    return Claim(claim.claim_id, claim.doc_id, claim.sentence_id, claim.start, claim.end, claim.text,
                 claim.value * factor, "month", claim.counter, claim.hedge, claim.low * factor, claim.high * factor,
                 claim.quantity, claim.qualifiers, claim.period, claim.doc_date, claim.reported)


def check_claims(frame: QuestionFrame, candidates: Sequence[Claim]) -> CheckResult | None:
    """Compare the candidate claims that match ``frame``; None when none of them does."""
    if not frame.quantity:
        return None
    if frame.quantity == "duration" and not frame.qualifiers:
        return None  # "how long" alone does not say what took time; quote sentences instead
    same_quantity = [
        c for c in candidates
        if c.quantity == frame.quantity
        and (not frame.wants or _unit_fits((c.unit,), frame.wants) or frame.wants == "time")
    ]
    matching = [_to_common_unit(c) for c in same_quantity if _qualifiers_match(frame, c)]
    if not matching and frame.qualifiers:
        # "on-premise revenue from Southeast Asia": claims naming the most specific part of what was asked
        key = next((q for q in _SPECIFICITY if q in frame.qualifiers), None)
        matching = [_to_common_unit(c) for c in same_quantity
                    if _qualifiers_match(frame, c, subset=True) and (key is None or key in c.qualifiers)]
    if not matching:
        if same_quantity and frame.qualifiers_asked:
            others = sorted({", ".join(_shown_qualifiers(c)) or "the whole company" for c in same_quantity})
            return CheckResult(frame, "not_found", [], [], frame.period, other_periods=[],
                               notes=[f"the sources give this figure only for: {'; '.join(others)}"])
        return None
    # One currency (or unit) is compared: "43亿港元(约5.6亿美元)" is a conversion, not a second value.
    units: dict[str, set[str]] = {}
    for c in matching:
        units.setdefault(c.unit, set()).add(c.doc_id)
    main_unit = max(units, key=lambda u: (len(units[u]), sum(c.unit == u for c in matching)))
    matching = [c for c in matching if c.unit == main_unit]
    if frame.period and "cumulative" not in frame.qualifiers:  # a running total's period is its span
        in_period = [c for c in matching if periods_match(c.period, frame.period_for(c.doc_date))]
        if not in_period:
            others = sorted({c.period for c in matching if c.period})
            return CheckResult(frame, "not_found", [], [], frame.period, other_periods=others)
        matching, period = in_period, frame.period
    else:
        matching, period = _main_period(matching)
    groups = group_values(matching)
    docs = {c.doc_id for c in matching}
    incompatible = [g for g in groups if g is not groups[0] and not any(
        _compatible(a, b) for a in g.claims for b in groups[0].claims)]
    if incompatible and len(docs) > 1 and any(set(g.doc_ids) - set(groups[0].doc_ids) or
                                              set(groups[0].doc_ids) - set(g.doc_ids) for g in incompatible):
        verdict = CONFLICT
    elif len(docs) > 1:
        verdict = CONSISTENT
    else:
        verdict = SINGLE_SOURCE
    return CheckResult(frame, verdict, matching, groups, period)


def _qualifiers_match(frame: QuestionFrame, claim: Claim, subset: bool = False) -> bool:
    """The claim measures what the question asks: same qualifiers (or, with ``subset``, some of
    them), and a holder the question names."""
    plain = {q for q in claim.qualifiers if not q.startswith("holder:")}
    holders = [q[7:] for q in claim.qualifiers if q.startswith("holder:")]
    if subset:
        if not plain or not plain <= set(frame.qualifiers):
            return False
    elif plain != set(frame.qualifiers):
        return False
    if holders:
        return any(h[:2] in frame.folded for h in holders)
    return True


def _shown_qualifiers(claim: Claim) -> list[str]:
    return [q.replace("holder:", "") for q in claim.qualifiers]


def _main_period(claims: list[Claim]) -> tuple[list[Claim], str]:
    """Without a period in the question: the period most sources speak of (undated claims join it)."""
    by_period: dict[str, list[Claim]] = {}
    for c in claims:
        by_period.setdefault(canonical_period(c.period), []).append(c)
    dated = {p: cs for p, cs in by_period.items() if p}
    if not dated:
        return claims, ""
    best = max(dated, key=lambda p: (len({c.doc_id for c in dated[p]}), p))
    return dated[best] + by_period.get("", []), best


