"""What every language does the same way: a number, then what stands around it.

A language module finds the numbers ("cores") and the dates of a text; :class:`Reader` turns
each core into a :class:`~index.values.types.Value` by reading, from the lexicon, the words
before it (hedge, currency, sign, percent) and after it (magnitude, hedge, unit, currency,
duration, counter, a range's second number). Every lookup is anchored at a position or
searched in a short window, so reading a text is linear in its length.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterable, NamedTuple

from .lexicon import Lexicon
from .types import Grain, Hedge, Value, ValueKind, interval

_RANGE_DASH = re.compile(r"\s*(?:至|到|-|–|—|~|～|－|to|and)\s*", re.I)
_SIGN = re.compile(r"(?:负|-|−|minus)\s*$", re.I)
# Currencies that are the same money: plain 元 in Chinese text is the renminbi.
SAME_MONEY = {"yuan": "CNY"}


@dataclass(frozen=True)
class Core:
    """A number as written: its span, value and the step of its last written digit."""

    start: int
    end: int
    number: float
    step: float
    round_number: bool = False  # "50", "1000", 三千: an "over" hedge reaches the next leading step
    hedge: Hedge = Hedge.NONE  # the hedge written as part of the number ("破亿": over)


@dataclass(frozen=True)
class Suffix:
    kind: ValueKind
    unit: str
    factor: float
    end: int


class Reader:
    """Reads values around number cores; subclasses supply cores, dates and counters."""

    #: keep numbers with nothing around them (English "killed 37"); Chinese writes a counter
    keep_bare = False

    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex

    # -- hooks for a language
    def cores(self, text: str, taken: list[tuple[int, int]]) -> Iterable[Core]:
        raise NotImplementedError

    def dates(self, text: str, article_date: str | None) -> list[Value]:
        raise NotImplementedError

    def core_at(self, text: str, pos: int) -> Core | None:
        """The number that starts exactly at ``pos``, if one does."""
        raise NotImplementedError

    def counter(self, text: str, pos: int, core: Core) -> tuple[str, int] | None:
        """A counted noun right after a number: ``(counter, end)``."""
        return None

    def magnitude(self, text: str, pos: int, currency: str) -> tuple[float, int] | None:
        found = self.lex.magnitudes.match(text, _skip_space(text, pos))
        if found:
            return float(self.lex.magnitudes.get(found[0])), found[1]
        return None

    def bare_scale(self, text: str, core: Core) -> bool:
        """A number written as its scale alone ("thousand", 十万), which "several"/数 make vague."""
        return False

    def skip(self, text: str, core: Core) -> bool:
        """A number that is part of a name or code, not a value (XR-4.5, S25, 5G, 3rd), or a
        vague amount ("several thousand", 数十万)."""
        if self.bare_scale(text, core) and self.lex.vague_before.ending_at(text, core.start, 12) is not None:
            return True
        before = text[max(0, core.start - 2):core.start]
        if before[-1:].isascii() and before[-1:].isalpha():
            return True
        if before[-1:] in "-./" and before[:1].isascii() and before[:1].isalnum() and len(before) == 2:
            return True  # XR-4.5, v2.1.3, 2024/25
        after = text[core.end:core.end + 1]
        if after.isascii() and after.isalpha():
            lex = self.lex
            return not any(table.match(text, core.end) for table in (
                lex.magnitudes, lex.units, lex.currency_suffix, lex.percent_suffix, lex.durations, lex.multiplier,
                lex.counters, lex.hedge_after_number))
        return False

    # -- the shared part
    def read(self, text: str, article_date: str | None = None) -> list[Value]:
        """Every value in ``text``: dates first, then numbers outside them."""
        dates = self.dates(text, article_date)
        taken = sorted((d.start, d.end) for d in dates)
        values: list[Value] = list(dates)
        last_end = -1
        for core in self.cores(text, taken):
            if core.start < last_end or self.skip(text, core):
                continue
            value = self._value(text, core)
            if value is not None and not overlaps(taken, value.start, value.end):
                values.append(value)
                last_end = value.end
        values.sort(key=lambda v: (v.start, v.end))
        return _share_list_units(text, _joined_durations(text, _without_overlaps(values)))

    def _value(self, text: str, core: Core) -> Value | None:
        lex = self.lex
        start, pos = core.start, core.end
        number, step, low_number = core.number, core.step, core.number
        currency = ""
        # before: currency sign or word, percent word, sign, hedge ("约", "more than", "US$")
        prefix = lex.currency_prefix.ending_at(text, start, 12)
        if prefix:
            currency = str(lex.currency_prefix.get(prefix[0]))
            start = prefix[1]
        # "用户规模破亿": a magnitude written alone takes no unit written before it
        unit_before = lex.unit_before.ending_at(text, start, 16) if core.hedge is Hedge.NONE else None
        if unit_before:
            start = unit_before[1]
        percent_before = lex.percent_prefix.ending_at(text, start, 8)
        percent_factor: float | str | None = None
        if percent_before:
            percent_factor = lex.percent_prefix.get(percent_before[0])
            start = percent_before[1]
        sign = _SIGN.search(text, max(0, start - 8), start)
        # "XR-4.5", "2024-25": a dash after a letter or digit joins, it does not negate
        joined = sign is not None and sign.group(0).strip() in "-−" and sign.start() > 0 \
            and text[sign.start() - 1].isascii() and text[sign.start() - 1].isalnum()
        negative = sign is not None and not joined
        if negative:
            start = sign.start()  # type: ignore[union-attr]
        hedge = core.hedge
        found = lex.hedge_before.ending_at(text, start) if hedge is Hedge.NONE else None
        if found and lex.not_hedges.ending_at(text, start) is None:
            hedge = lex.hedge(found[0], lex.hedge_before)
            start = found[1]
        # after: magnitude, range, hedge, unit
        magnitude = self.magnitude(text, pos, currency)
        if magnitude:
            number, step, low_number = number * magnitude[0], step * magnitude[0], low_number * magnitude[0]
            pos = magnitude[1]
        ranged = self._range(text, pos, core, magnitude)
        if ranged is not None:
            low_number = number
            number, step, pos, second_magnitude = ranged
            if second_magnitude and not magnitude:
                low_number *= second_magnitude
        suffix = None if percent_factor is not None else self._suffix(text, pos, core)
        if (unit_before or currency) and suffix is not None and suffix.kind is ValueKind.COUNT:
            suffix = None  # "规模6.1地震", "$40 million worldwide": the unit was named before the number
        if suffix is None and percent_factor is None:
            after = lex.hedge_after_number.match(text, _skip_space(text, pos))
            if after:
                later = self._suffix(text, after[1], core)
                if later is not None or self.keep_bare:
                    hedge = hedge if hedge is not Hedge.NONE else lex.hedge(after[0], lex.hedge_after_number)
                    suffix, pos = later, after[1]
        if suffix is not None:
            pos = suffix.end
        tail = lex.hedge_after_unit.match(text, _skip_space(text, pos)) if suffix is not None or magnitude else None
        if tail and hedge is Hedge.NONE:
            hedge = lex.hedge(tail[0], lex.hedge_after_unit)
            pos = tail[1]
        # what it is
        if percent_factor is not None:
            kind, unit, factor = (ValueKind.PERCENT, "pp", 1.0) if percent_factor == "pp" else (
                ValueKind.PERCENT, "%", float(percent_factor))
        elif suffix is not None:
            kind, unit, factor = suffix.kind, suffix.unit, suffix.factor
            if kind is ValueKind.MONEY and currency and unit == "yuan":
                unit = currency  # "新台币3.62亿元": the currency named before the number
        elif unit_before:
            measure = lex.unit_before.get(unit_before[0])
            kind, unit, factor = ValueKind.MEASURE, measure.dimension, measure.factor
        elif currency:
            kind, unit, factor = ValueKind.MONEY, currency, 1.0
        elif magnitude or hedge is not Hedge.NONE or self.keep_bare:
            kind, unit, factor = ValueKind.NUMBER, "", 1.0
        else:
            return None
        if kind is ValueKind.MONEY:
            unit = SAME_MONEY.get(unit, unit)
        number, step, low_number = number * factor, step * factor, low_number * factor
        if negative:
            number, low_number = -number, -low_number
        low, high = interval(number, step, hedge, core.round_number)
        if ranged is not None:
            low = min(low, interval(low_number, step, Hedge.NONE)[0])
            low, high = min(low, high), max(low, high)
        end = _trim_end(text, start, pos)
        return Value(start, end, text[start:end], kind, unit, number, low, high, hedge)

    def _range(self, text: str, pos: int, core: Core, magnitude: tuple[float, int] | None
               ) -> tuple[float, float, int, float] | None:
        """A range's second number ("57–58%", "三至五人", "between 1.5 and 3.8 %")."""
        dash = _RANGE_DASH.match(text, pos)
        if not dash:
            return None
        word = dash.group(0).strip().lower()
        if word == "and" and not re.search(r"between\s+\S*$", text[max(0, core.start - 20):core.start], re.I):
            return None
        if word == "to" and not re.match(r"\s*(?:\d|[a-z]+\s)", text[dash.end():dash.end() + 2], re.I):
            return None
        second = self.core_at(text, dash.end())
        if second is None or second.number < core.number:
            return None
        second_magnitude = 0.0
        number, step, end = second.number, second.step, second.end
        found = self.magnitude(text, end, "")
        if found:
            second_magnitude = found[0]
            number, step, end = number * found[0], step * found[0], found[1]
            if magnitude and found[0] != magnitude[0]:
                return None
        elif magnitude:
            number, step = number * magnitude[0], step * magnitude[0]
        if self._suffix(text, end, second) is None and not self.keep_bare and not magnitude and not second_magnitude:
            return None
        return number, step, end, second_magnitude

    def _suffix(self, text: str, pos: int, core: Core) -> Suffix | None:
        lex = self.lex
        at = _skip_space(text, pos)
        candidates = []
        word_after = lex.not_units.match(text, at)  # "1亿年度收入": 年度 is annual, not 年
        for table, kind in ((lex.percent_suffix, ValueKind.PERCENT), (lex.currency_suffix, ValueKind.MONEY),
                            (lex.multiplier, ValueKind.MULTIPLE), (lex.units, ValueKind.MEASURE),
                            (lex.durations, ValueKind.DURATION)):
            found = table.match(text, at)
            if found and not (word_after and found[1] < word_after[1]):
                candidates.append((found[1], kind, found[0], table))
        if candidates:
            end, kind, word, table = max(candidates, key=lambda c: c[0])
            value = table.get(word)
            if kind is ValueKind.PERCENT:
                return Suffix(kind, "pp", 1.0, end) if value == "pp" else Suffix(kind, "%", float(value), end)
            if kind is ValueKind.MONEY:
                return Suffix(kind, str(value), 1.0, end)
            if kind is ValueKind.MULTIPLE:
                return Suffix(kind, "x", 1.0, end)
            if kind is ValueKind.MEASURE:
                return Suffix(kind, value.dimension, value.factor, end)
            return Suffix(ValueKind.DURATION, "day", float(value), end)
        counted = self.counter(text, pos, core)
        if counted:
            return Suffix(ValueKind.COUNT, counted[0], 1.0, counted[1])
        return None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] == " ":
        pos += 1
    return pos


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``[start, end)`` overlaps one of ``taken``: disjoint spans sorted by start (a
    binary search, so reading a sentence stays linear however many values it holds)."""
    i = bisect.bisect_right(taken, start, key=_end)
    return i < len(taken) and taken[i][0] < end


def take(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """Add ``[start, end)`` to ``taken`` (kept sorted) unless it overlaps; whether it was added."""
    if overlaps(taken, start, end):
        return False
    bisect.insort(taken, (start, end))
    return True


class YearsBefore:
    """The years (year-grain dates) among values already read, to find the one named last before a
    position in a binary search."""

    def __init__(self, values: list[Value]) -> None:
        years = sorted((v.end, int(v.label)) for v in values if v.grain is Grain.YEAR)
        self._ends = [end for end, _ in years]
        self._years = [year for _, year in years]

    def before(self, pos: int) -> int | None:
        """The year of the nearest year date ending at or before ``pos``."""
        i = bisect.bisect_right(self._ends, pos)
        return self._years[i - 1] if i else None


def _end(span: tuple[int, int]) -> int:
    return span[1]


_LIST_GAP = re.compile(r"\s*(?:、|,|，|和|及|以及|与|或|and|or|,\s*and|,\s*or)\s*$", re.I)


def _share_list_units(text: str, values: list[Value]) -> list[Value]:
    """"0.85亿、3.4亿以及12.6亿元": a number in a list takes the unit written after the last one."""
    out = list(values)
    for i in range(len(out) - 2, -1, -1):
        v, w = out[i], out[i + 1]
        if v.kind is not ValueKind.NUMBER or w.kind in (ValueKind.NUMBER, ValueKind.DATE):
            continue
        if not _LIST_GAP.match(text[v.end:w.start]) or w.start - v.end > 6:
            continue
        out[i] = Value(v.start, v.end, v.text, w.kind, w.unit, v.number, v.low, v.high, v.hedge)
    return out


# between the parts of one span of time: "2小时08分17秒", "3 hours, 47 minutes", "1年零3个月"
_PART_GAP = re.compile(r"\s*(?:,|and|又|零)?\s*", re.I)
_LEADING = re.compile(r"\d+(?:\.\d+)?")
_HOUR = 1 / 24
# "08分" after hours is minutes (alone, 分 is a point or a cent)
_MINUTES_AFTER_HOURS = re.compile(r"\d{1,2}\s*分$")


def _unit_of(v: Value) -> float | None:
    """The length in days of the unit a duration was written in (8 minutes → one minute)."""
    m = _LEADING.search(v.text)
    if not m or not float(m.group(0)):
        return None
    return v.number / float(m.group(0))


def _joined_durations(text: str, values: list[Value]) -> list[Value]:
    """The parts of one span of time as one duration ("2小时08分17秒", "2 hours 8 minutes"): each
    part in a smaller unit than the one before, nothing but a space, comma, "and" or 零 between.
    The whole is as precise as its last part and hedged as its first ("约为2小时08分")."""
    out: list[Value] = []
    last_unit = 0.0
    for v in values:
        prev = out[-1] if out else None
        part = v
        if prev is not None and prev.kind is ValueKind.DURATION and last_unit \
                and _PART_GAP.fullmatch(text[prev.end:v.start]):
            if v.kind is ValueKind.COUNT and abs(last_unit - _HOUR) < 1e-6 and _MINUTES_AFTER_HOURS.search(v.text):
                part = Value(v.start, v.end, v.text, ValueKind.DURATION, "day", v.number / 1440, 0.0, 0.0, v.hedge)
            unit = _unit_of(part) if part.kind is ValueKind.DURATION and not part.hedge else None
            if unit is not None and unit < last_unit * 0.99:
                total = prev.number + part.number
                low, high = interval(total, unit, prev.hedge)
                out[-1] = Value(prev.start, part.end, text[prev.start:part.end], ValueKind.DURATION, "day", total,
                                low, high, prev.hedge)
                last_unit = unit
                continue
        out.append(v)
        last_unit = (_unit_of(v) or 0.0) if v.kind is ValueKind.DURATION else 0.0
    return out


def _without_overlaps(values: list[Value]) -> list[Value]:
    """Values sorted by start; of two that overlap, the longer (the first date) stays."""
    kept: list[Value] = []
    for v in values:
        if kept and v.start < kept[-1].end:
            if (v.end - v.start) > (kept[-1].end - kept[-1].start) and kept[-1].kind is not ValueKind.DATE:
                kept[-1] = v
            continue
        kept.append(v)
    return kept


def date_value(start: int, end: int, text: str, low: float, high: float, grain: Grain, label: str,
               as_of: bool = False, hedge: Hedge = Hedge.NONE, year_inferred: bool = False) -> Value:
    """A date as a :class:`Value`: an interval of fractional years, labelled."""
    if hedge is Hedge.ABOUT:
        width = max(high - low, 1.0)
        low, high = low - width, high + width
    return Value(start, end, text[start:end], ValueKind.DATE, "year", low, low, high, hedge, grain, label, as_of,
                 year_inferred)


_PART_MONTHS = {"H1": (1, 6), "H2": (7, 12), "Q1": (1, 3), "Q2": (4, 6), "Q3": (7, 9), "Q4": (10, 12), "M9": (1, 9)}
#: the last month of a part: a part without a year is this year's once the article is past it
PART_END = {part: last for part, (_, last) in _PART_MONTHS.items()}


def part_value(text: str, start: int, end: int, year: int, part: str, as_of: bool) -> Value:
    """A half, quarter or the first nine months of ``year`` as a date :class:`Value` (2025H1)."""
    first, last = _PART_MONTHS[part]
    grain = Grain.HALF if part[0] == "H" else Grain.QUARTER if part[0] == "Q" else Grain.MONTHS
    return date_value(start, end, text, year + (first - 1) / 12, year + last / 12 - 1e-7, grain, f"{year}{part}", as_of)


class NumericDate(NamedTuple):
    """A date written in digits: "2016-02-21", "2026/1/8", "2/21/2016"."""

    start: int
    end: int
    year: int
    month: int
    day: int


_YEAR_FIRST = re.compile(r"(?<![A-Za-z0-9.,/-])(?P<y>1\d{3}|20\d{2})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\d%])")
_YEAR_LAST = re.compile(r"(?<![A-Za-z0-9.,/-])(?P<a>\d{1,2})(?P<sep>[/.])(?P<b>\d{1,2})(?P=sep)(?P<y>1\d{3}|20\d{2})(?![\d%])")


def numeric_dates(text: str, day_first: bool) -> list[NumericDate]:
    """Dates written in digits, year first (ISO, "2026/1/8") or last ("2/21/2016", "21.2.2016").
    A year-last date is read month first unless ``day_first`` or its first number is over 12."""
    out = []
    for m in _YEAR_FIRST.finditer(text):
        year, month, day = int(m.group("y")), int(m.group("m")), int(m.group("d"))
        if 1 <= month <= 12 and 1 <= day <= 31:
            out.append(NumericDate(m.start(), m.end(), year, month, day))
    for m in _YEAR_LAST.finditer(text):
        a, b, year = int(m.group("a")), int(m.group("b")), int(m.group("y"))
        month, day = (b, a) if day_first or a > 12 else (a, b)
        if 1 <= month <= 12 and 1 <= day <= 31 and not any(d.start < m.end() and m.start() < d.end for d in out):
            out.append(NumericDate(m.start(), m.end(), year, month, day))
    return out


def article_year_month(article_date: str | None) -> tuple[int | None, int | None]:
    """The year and month of an ISO date string, or ``(None, None)``."""
    if not article_date or len(article_date) < 4 or not article_date[:4].isdigit():
        return None, None
    month = int(article_date[5:7]) if len(article_date) >= 7 and article_date[5:7].isdigit() else None
    return int(article_date[:4]), month if month and 1 <= month <= 12 else None


def label_year(label: str) -> int:
    """The year of a date label: "1905-05" → 1905, "-221" → -221."""
    m = re.match(r"-?\d+", label)
    return int(m.group(0)) if m else 0
