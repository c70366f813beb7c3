"""Compare the sources' answers: intervals, units, and a typed verdict.

Values are grouped when they can be the same (their intervals overlap, after units are made
common: durations in days, lengths in metres, one currency). One group from two or more sources
is agreement, unless their documents hold none of the words that name the fact asked, only its
subject's (the values are then quoted, not compared); groups that cannot be the same, from
different sources, are a conflict. A source whose own values fall in two groups contradicts
itself, and is named as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from index.text import normalise
from index.values import ValueKind

from .align import Alignment, Candidate, known_counter
from .question import Question
from .verdict import Verdict


_RATIOS = {ValueKind.PERCENT, ValueKind.MULTIPLE}


def comparable(a: Candidate, b: Candidate) -> bool:
    """The two values measure in the same unit (so their intervals can be compared)."""
    va, vb = a.value, b.value
    if va.kind in (ValueKind.DATE, ValueKind.NAME) or vb.kind in (ValueKind.DATE, ValueKind.NAME):
        return va.kind is vb.kind  # a name is a name whatever the reader took it for (person, place)
    counts = (ValueKind.COUNT, ValueKind.NUMBER)
    if va.kind in counts and vb.kind in counts:
        return va.kind is ValueKind.NUMBER or vb.kind is ValueKind.NUMBER or va.unit == vb.unit or not (
            known_counter(va.unit) and known_counter(vb.unit))
    if {va.kind, vb.kind} == _RATIOS:
        return "pp" not in (va.unit, vb.unit)  # 4.5倍 is 450%
    if va.kind is not vb.kind:
        return False
    return va.unit == vb.unit or va.kind is ValueKind.DURATION


def same_value(a: Candidate, b: Candidate) -> bool:
    """The two values can be the same (their intervals overlap, in a common unit)."""
    va, vb = a.value, b.value
    if {va.kind, vb.kind} == _RATIOS:
        (la, ha), (lb, hb) = _as_percent(va), _as_percent(vb)
        return la <= hb and lb <= ha
    return va.overlaps(vb)


def _as_percent(v) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    return (v.low * 100, v.high * 100) if v.kind is ValueKind.MULTIPLE else (v.low, v.high)


@dataclass
class ValueGroup:
    """Values from one or more sources that can all be the same."""

    members: list[Candidate]

    @property
    def doc_ids(self) -> list[str]:
        return sorted({c.doc_id for c in self.members})

    @property
    def low(self) -> float:
        return max(c.value.low for c in self.members)

    @property
    def high(self) -> float:
        return min(c.value.high for c in self.members)

    @property
    def latest(self) -> str:
        return max((c.claim.reported or "" for c in self.members), default="")

    def label(self) -> str:
        """The value as most sources write it: unhedged spellings first, then the most precise."""
        plain = [c for c in self.members if not c.value.hedge.value] or self.members
        counts: dict[str, int] = {}
        for c in plain:
            key = normalise(c.value.text).replace(" ", "")
            counts[key] = counts.get(key, 0) + 1
        width = {key: min((c.value.high - c.value.low) / (abs(c.value.number) or 1) for c in plain
                          if normalise(c.value.text).replace(" ", "") == key) for key in counts}
        best = max(counts, key=lambda k: (counts[k], -width[k], -len(k)))  # the most precise spelling
        return next(c.value.text for c in plain if normalise(c.value.text).replace(" ", "") == best)

    def fits(self, c: Candidate) -> bool:
        return all(comparable(c, m) and same_value(c, m) for m in self.members)


@dataclass
class Comparison:
    """The outcome of comparing what the sources state."""

    question: Question
    verdict: Verdict
    groups: list[ValueGroup]
    apart: list[Candidate] = field(default_factory=list)
    contradicting: list[str] = field(default_factory=list)  # sources that state two different values
    notes: list[str] = field(default_factory=list)

    @property
    def compared(self) -> list[Candidate]:
        return [c for g in self.groups for c in g.members]

    @property
    def latest(self) -> str:
        return max((g.latest for g in self.groups), default="")


def group_values(candidates: Sequence[Candidate]) -> list[ValueGroup]:
    """Partition candidates into groups that can all be the same value (precise values first)."""
    groups: list[ValueGroup] = []
    ordered = sorted(candidates, key=lambda c: ((c.value.high - c.value.low) / (abs(c.value.number) or 1),
                                                c.value.number, c.doc_id))
    for c in ordered:
        # a value that could be in several groups ("about 68,600" by 68,636 and 69,197) joins the nearest
        fitting = [g for g in groups if g.fits(c)]
        home = min(fitting, key=lambda g: abs(g.members[0].value.number - c.value.number), default=None)
        if home is None:
            groups.append(ValueGroup([c]))
        else:
            home.members.append(c)
    return sorted(groups, key=lambda g: (-len(g.doc_ids), -max(m.score for m in g.members)))


def compare(question: Question, alignment: Alignment) -> Comparison:
    """Group the chosen values and give the verdict."""
    chosen = _one_unit(alignment.chosen)
    groups = group_values(chosen)
    docs = {c.doc_id for c in chosen}
    contradicting = sorted(d for d in docs if sum(d in g.doc_ids for g in groups) > 1)
    if not chosen:
        verdict = Verdict.NOT_FOUND
    elif len(groups) > 1:
        verdict = Verdict.CONFLICT
    elif len(docs) > 1:
        # sources that speak only of the question's subject are not said to agree on its fact
        verdict = Verdict.QUOTED if alignment.subject_only else Verdict.CONSISTENT
    else:
        verdict = Verdict.SINGLE_SOURCE
    notes = [f"{d} states more than one value for this" for d in contradicting] + alignment.notes
    return Comparison(question, verdict, groups, alignment.apart, contradicting, notes)


def _one_unit(chosen: list[Candidate]) -> list[Candidate]:
    """Values of the unit most sources use: "43亿港元(约5.6亿美元)" is a conversion, not a second value."""
    if len(chosen) < 2:
        return chosen
    classes: list[list[Candidate]] = []
    for c in chosen:
        home = next((k for k in classes if comparable(c, k[0])), None)
        if home is None:
            classes.append([c])
        else:
            home.append(c)
    best = max(classes, key=lambda k: (len({c.doc_id for c in k}), max(c.score for c in k)))
    return best
