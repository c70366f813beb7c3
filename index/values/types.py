"""What a sentence states: a :class:`Value` with its kind, unit, hedge and interval.

Every value is an interval in the base unit of its kind (money in its currency, lengths in
metres, durations in days, dates in fractional years), widened by the precision it is written
with and by its hedge. Two values agree when their intervals overlap.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from enum import Enum


class ValueKind(str, Enum):
    """What a value measures."""

    NUMBER = "number"  # a bare number
    COUNT = "count"  # a number of things (the counter says which)
    MONEY = "money"
    PERCENT = "percent"
    MULTIPLE = "multiple"  # 3倍, 3 times
    MEASURE = "measure"  # a length, area, mass ... (the unit says which dimension)
    DURATION = "duration"
    DATE = "date"  # a year, month, day, decade, half or quarter
    NAME = "name"  # a person, place or organisation (who/where questions; see index/values/names.py)


class Hedge(str, Enum):
    """How a word around a value widens its interval."""

    NONE = ""
    ABOUT = "about"  # either way, as far as the written precision suggests
    OVER = "over"  # at or above
    AT_LEAST = "at_least"
    NEARLY = "nearly"  # at or a little below
    UNDER = "under"  # below
    AT_MOST = "at_most"  # at or below


class Grain(str, Enum):
    """How fine a date is."""

    NONE = ""
    DECADE = "decade"
    RANGE = "range"  # 2022年至2024年
    YEAR = "year"
    HALF = "half"
    QUARTER = "quarter"
    MONTHS = "months"  # the first nine months
    MONTH = "month"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class Value:
    """One value as written in a text.

    ``start``/``end`` are offsets into the text it was read from; ``text`` is that slice.
    ``unit`` is what makes two values comparable: a currency code (``CNY``), ``%``, ``pp``,
    ``x``, a dimension (``length``), ``day`` for durations and dates, or a counter class or word
    (``person``, ``helicopter``). ``number`` is the value in the base unit, ``low``/``high`` its
    interval. Dates carry a ``label`` (``1905``, ``1905-03``, ``2025H1``, ``1990s``) and their
    ``grain``; ``as_of`` marks "截至/as of" dates; ``year_inferred`` a month or day written without
    a year, whose year was guessed from the article's date (two such dates compare by month and day).
    """

    start: int
    end: int
    text: str
    kind: ValueKind
    unit: str
    number: float
    low: float
    high: float
    hedge: Hedge = Hedge.NONE
    grain: Grain = Grain.NONE
    label: str = ""
    as_of: bool = False
    year_inferred: bool = False

    def shifted(self, offset: int) -> "Value":
        """The same value with its span moved by ``offset`` (sentence → document offsets)."""
        return replace(self, start=self.start + offset, end=self.end + offset)

    def overlaps(self, other: "Value") -> bool:
        """The two intervals share a point: the values can be the same."""
        if self.kind is ValueKind.NAME or other.kind is ValueKind.NAME:
            return self.kind is other.kind and same_name(self.label, other.label)
        if (self.year_inferred or other.year_inferred) and self.kind is other.kind is ValueKind.DATE:
            a, b = self.low - math.floor(self.low), other.low - math.floor(other.low)
            return a <= b + (other.high - other.low) and b <= a + (self.high - self.low)
        return self.low <= other.high and other.low <= self.high

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["hedge"] = self.hedge.value
        data["grain"] = self.grain.value
        return data


def same_name(a: str, b: str) -> bool:
    """Two names' keys (:func:`index.values.names.name_key`) can name one person or place: the
    same, or, in Latin letters, one is the other's last words ("reed", "tom reed"). Chinese names
    must be the same: 王伟 and 王伟民 are two people, and "Ann Lee" is not "Ann Leeds"."""
    if not a or not b:
        return False
    if a == b:
        return True
    if any(_is_cjk(ch) for ch in a + b):
        return False
    short, long = sorted((a.split(), b.split()), key=len)
    return long[len(long) - len(short):] == short


def _is_cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


# ----------------------------------------------------------------------------- intervals

#: "about" widens by up to 8 % when the written precision is coarse (约70% may be 70.7%) but by no
#: more than three steps of the last written digit (约12.47亿 is not 13亿).
ABOUT = 0.08
#: "over", "more than": up to 25 % above; "50多", "1000余": up to the next step of the leading digit.
OVER = 0.25
#: "nearly": down to 15 % below; "under", "less than": down to 30 % below.
NEARLY = 0.15
UNDER = 0.30
#: Truncation slack: 1.909 written as 1.90 still matches 1.91.
SLACK = 0.002


def interval(number: float, step: float, hedge: Hedge, round_number: bool = False) -> tuple[float, float]:
    """The interval a number written with precision ``step`` and ``hedge`` stands for.

    ``round_number`` says the number ends in zeros ("50多", "1000余"): "over" then reaches the next
    step of its leading digit.
    """
    half = step * 0.49  # "2" and "3" must not touch
    size = abs(number)
    low, high = number - half - SLACK * size, number + half + SLACK * size
    if hedge is Hedge.ABOUT:
        spread = min(ABOUT * size, max(0.02 * size, 3 * step))
        low, high = min(low, number - spread), max(high, number + spread)
    elif hedge is Hedge.NEARLY:
        low = min(low, number - NEARLY * size)
    elif hedge in (Hedge.OVER, Hedge.AT_LEAST):
        high = max(high, number + OVER * size)
        if round_number and size >= 10:
            lead = 10 ** math.floor(math.log10(size))
            high = max(high, number + lead)
        low = number - SLACK * size
    elif hedge is Hedge.UNDER:
        low = min(low, number - UNDER * size)
        high = number + SLACK * size
    elif hedge is Hedge.AT_MOST:
        low = min(low, number - UNDER * size)
    return low, high


def year_span(year: int, month: int | None = None, day: int | None = None) -> tuple[float, float]:
    """A calendar date as an interval of fractional years: 1905 → [1905, 1906)."""
    if month is None:
        return float(year), year + 1 - 1e-7
    if day is None:
        return year + (month - 1) / 12, year + month / 12 - 1e-7
    start = year + (month - 1) / 12 + (day - 1) / 372
    return start, start + 1 / 372 - 1e-7
