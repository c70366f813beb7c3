"""Claims: each value a sentence states, with what it is about.

A :class:`Claim` is a :class:`~index.values.Value` of one sentence of one document, plus the
period its clause names (2024, 2025H1, as of 2025-06), the measure modifiers that stand by it
(adjusted, expected, per month, a change rather than a level...), whether it is an update of a
running figure ("rose to"), the date it was reported, and the part of the sentence that speaks
of it. Nothing here knows what is being measured: that is read from the question at ask time.

Claims are read from sentences when a question needs them (cheap, and a vocabulary edit needs
no rebuild); spans are offsets into the document's original text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Sequence

from .text import fold
from .values import Grain, Value, ValueKind, language_of, lexicon, parse_values
from .values.reader import overlaps

# Clause marks; a comma between digits (1,200) is not one.
_CLAUSE = re.compile(r"[，;；:：。！？!?\n]|,(?!\d{3})|(?<!\d),")
_RESPECTIVELY = re.compile(r"分别|respectively", re.I)
_LIST_GAP = re.compile(r"^\s*(?:、|,|，|和|及|以及|与|或|and|or|,\s*and|,\s*or)\s*$", re.I)


@dataclass(frozen=True, slots=True)
class Claim:
    """One value stated in one sentence of one document, with its period and measure.

    ``value`` spans are offsets into the document; ``context`` is the span of the clause that
    speaks of the value; ``sentence`` the span of its sentence.
    """

    doc_id: str
    sentence_id: int
    value: Value
    sentence: tuple[int, int]
    context: tuple[int, int]
    period: Value | None = None
    modifiers: frozenset[str] = frozenset()
    updated: bool = False
    reported: str | None = None
    doc_date: str | None = None

    @property
    def text(self) -> str:
        return self.value.text

    @property
    def period_label(self) -> str:
        return self.period.label if self.period is not None else ""

    def to_dict(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "sentence_id": self.sentence_id,
            "text": self.value.text,
            "kind": self.value.kind.value,
            "unit": self.value.unit,
            "number": self.value.number,
            "interval": [self.value.low, self.value.high],
            "hedge": self.value.hedge.value,
            "value_span": [self.value.start, self.value.end],
            "period": self.period_label,
            "as_of": bool(self.period is not None and self.period.as_of),
            "modifiers": sorted(self.modifiers),
            "updated": self.updated,
            "reported": self.reported,
            "doc_date": self.doc_date,
        }


class Clauses:
    """The clause marks of a sentence, except those inside its values ("March 31, 2011")."""

    def __init__(self, text: str, values: Sequence[Value] = ()) -> None:
        self.length = len(text)
        inside: list[tuple[int, int]] = []
        for v in sorted(values, key=lambda v: v.start):  # their union, as disjoint spans
            if inside and v.start < inside[-1][1]:
                inside[-1] = (inside[-1][0], max(inside[-1][1], v.end))
            else:
                inside.append((v.start, v.end))
        self.marks = [(m.start(), m.end()) for m in _CLAUSE.finditer(text)
                      if not overlaps(inside, m.start(), m.start() + 1)]
        self._starts = [s for s, _ in self.marks]

    def bounds(self, start: int, end: int) -> tuple[int, int]:
        """The clause around ``[start, end)``: between the nearest marks."""
        i = bisect.bisect_left(self._starts, start)
        left = self.marks[i - 1][1] if i else 0
        j = bisect.bisect_left(self._starts, end)
        right = self.marks[j][0] if j < len(self.marks) else self.length
        return left, right


def sentence_claims(doc_id: str, sentence_id: int, start: int, text: str, article_date: str | None,
                    before: str = "") -> list[Claim]:
    """The claims of one sentence that starts at ``start`` in its document. Never raises on text.

    ``before`` is the sentence before it: when this sentence names no period at all, its figures
    take the one period that sentence names ("2024年营收12.5亿元。净利润为0.9亿元。").
    """
    values = parse_values(text, article_date)
    if not values:
        return []
    lang = language_of(text)
    lex = lexicon(lang)
    folded = fold(text)
    dates = [v for v in values if v.kind is ValueKind.DATE]
    figures = [v for v in values if v.kind is not ValueKind.DATE]
    runs = _runs(folded, values)
    clauses = Clauses(folded, values)
    # a date compared with ("较2023年增长20%") is not a figure's period
    own_dates = [d for d in dates if not lex.baseline.ending_at(folded, d.start, 8)]
    periods = _periods(clauses, figures, own_dates, runs, _RESPECTIVELY.search(folded) is not None)
    if before and figures and not own_dates:  # "较上年" compares, it names no period
        named = {d.label: d for d in parse_values(before, article_date)
                 if d.kind is ValueKind.DATE and (d.grain is not Grain.DAY or d.as_of)}
        if len(named) == 1:
            inherited = next(iter(named.values()))
            inherited = Value(0, 0, inherited.text, inherited.kind, inherited.unit, inherited.number, inherited.low,
                              inherited.high, inherited.hedge, inherited.grain, inherited.label, inherited.as_of)
            periods = {v.start: inherited for v in figures}
    modifiers = _modifiers(folded, clauses, lex, figures, runs)
    report_days = [d for d in dates if d.grain is Grain.DAY and not d.as_of
                   and (article_date is None or d.label <= article_date[:10])]
    out = []
    for v in values:
        left, right = clauses.bounds(v.start, v.end)
        if right - left < 12:
            # a short clause leans on its neighbour: "1969年，韩国废除初中入学考试制度" (the one after
            # a figure that opens it), "…的亏损，达8.6亿元" (the one before)
            if v.start - left <= 2 and right < len(folded):
                _, right = clauses.bounds(right + 1, right + 1)
            elif left > 0:
                left, _ = clauses.bounds(max(0, left - 2), left - 1)
        period = periods.get(v.start) if v.kind is not ValueKind.DATE else None
        reported = next((d.label for d in reversed(report_days) if d.end <= v.start and d is not period), None)
        if reported is None and report_days and report_days[0] is not period and report_days[0].start > v.end \
                and report_days[0].start < right:
            reported = report_days[0].label
        before = folded[max(0, v.start - 12):v.start]
        updated = lex.update.ending_at(before, len(before), 12) is not None
        out.append(Claim(
            doc_id, sentence_id, v.shifted(start), (start, start + len(text)), (start + left, start + right),
            period.shifted(start) if period is not None else None, modifiers.get(v.start, frozenset()),
            updated, reported or article_date, article_date,
        ))
    return out


def _runs(folded: str, values: Sequence[Value]) -> dict[int, tuple[Value, ...]]:
    """Values of one kind written as a list ("A、B和C"), keyed by each member's start."""
    runs: dict[int, tuple[Value, ...]] = {}
    current: list[Value] = []
    for v in values:
        if current and current[-1].kind is v.kind and _LIST_GAP.match(folded[current[-1].end:v.start]):
            current.append(v)
        else:
            current = [v]
        for member in current:
            runs[member.start] = tuple(current)
    return runs


def _periods(clauses: Clauses, figures: Sequence[Value], dates: Sequence[Value],
             runs: dict[int, tuple[Value, ...]], respectively: bool) -> dict[int, Value]:
    """The period each figure refers to, keyed by the figure's start."""
    out: dict[int, Value] = {}
    spans = [d for d in dates if d.grain is not Grain.DAY or d.as_of]
    if not spans:
        return out
    if respectively:
        # "2022年、2023年、2024年收入分别为A、B、C": the i-th figure of the list takes the i-th period
        for start, run in runs.items():
            listed = runs.get(start)
            if listed is None or listed[0].kind is ValueKind.DATE or len(listed) < 2:
                continue
            period_run = next((runs[d.start] for d in spans if len(runs.get(d.start, ())) == len(listed)
                               and d.end <= listed[0].start), None)
            if period_run is not None:
                for figure, period in zip(listed, period_run):
                    out[figure.start] = period
                continue
            ranges = [d for d in spans if d.grain is Grain.RANGE and d.end <= listed[0].start]
            if ranges:
                first, last = (int(x) for x in ranges[-1].label.split("-"))
                if last - first + 1 == len(listed):
                    for i, figure in enumerate(listed):
                        out[figure.start] = Value(ranges[-1].start, ranges[-1].end, ranges[-1].text, ValueKind.DATE,
                                                  "year", first + i, first + i, first + i + 1 - 1e-7,
                                                  grain=Grain.YEAR, label=str(first + i))
    for v in figures:
        if v.start in out:
            continue
        left, right = clauses.bounds(v.start, v.end)
        own = [d for d in spans if left <= d.start and d.end <= right]
        before = [d for d in own if d.end <= v.start]
        after = [d for d in own if d.start >= v.end]
        if before:
            out[v.start] = before[-1]
        elif after:
            out[v.start] = after[0]
        else:
            earlier = [d for d in spans if d.end <= left and len(runs.get(d.start, ())) < 2]
            if earlier and (v.kind is not ValueKind.COUNT or earlier[-1].as_of):
                out[v.start] = earlier[-1]  # "2024年,公司营收3.1亿元": the sentence's period
    return out


_JOIN = re.compile(r"和|及|与|或|并|而|,|、|\band\b|\bor\b|\bwhile\b|\bbut\b", re.I)


def _modifiers(folded: str, clauses: Clauses, lex, figures: Sequence[Value],  # type: ignore[no-untyped-def]
               runs: dict[int, tuple[Value, ...]]) -> dict[int, frozenset[str]]:
    """Measure modifiers of each figure, keyed by its start.

    A modifier qualifies the figures after it in its clause when it comes before all of them
    ("经调整净亏损分别为A、B", "Adjusted net profit rose 12% to $3.4bn"); else the first figure
    after it, or the figure just before it ("52人受伤", "37 people missing"), with no "and"
    between them: in "境内31个省和境外多个国家", 境外 is about the other countries, not 31.
    """
    found: dict[int, set[str]] = {}
    if not figures:
        return {}
    low = folded.lower()
    if lex.modifiers.pattern is not None:
        for m in lex.modifiers.pattern.finditer(low):
            name = str(lex.modifiers.get(lex.modifiers.canonical(m.group(0))))
            left, right = clauses.bounds(m.start(), m.end())
            here = [v for v in figures if left <= v.start and v.end <= right]
            after = [v for v in here if v.start >= m.end()]
            before = [v for v in here if v.end <= m.start()]
            if not here and left == 0:
                # "按调整后净亏损计算,…": a measure named in the sentence's opening clause, which holds
                # no figure, frames every figure of the sentence
                targets = list(figures)
            elif after and not before and name in lex.framing:
                # "公司计划将…的70%用于研发,约10%用于平台": a plan or forecast frames the rest of the sentence
                targets = [v for v in figures if v.start >= m.end()]
            elif after and not before:
                targets = after
            elif after and not _JOIN.search(low, m.end(), after[0].start):
                targets = list(runs.get(after[0].start, (after[0],)))
            elif before and m.start() - before[-1].end <= 12 and not _JOIN.search(low, before[-1].end, m.start()):
                targets = list(runs.get(before[-1].start, (before[-1],)))
            else:
                continue
            for v in targets:
                found.setdefault(v.start, set()).add(name)
    for v in figures:
        # "同比增长12%", "up 12%", "4.2亿元(+12%)", "(-8%)": a change, not a level; "增长至3.1亿",
        # "rose to $3bn" is a level
        window = low[max(0, v.start - 8):v.start]
        hit = lex.change_words.ending_at(window, len(window), 8)
        signed = v.kind is ValueKind.PERCENT and (window.rstrip().endswith("+")
                                                  or v.number < 0 and window.rstrip().endswith(("(", "（")))
        if hit and not lex.change_to.ending_at(window, len(window), 4) or signed:
            found.setdefault(v.start, set()).add("change")
    return {k: frozenset(v) for k, v in found.items()}
