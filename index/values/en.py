"""English: numbers in digits or words, counted nouns, and dates with month names.

Everything comes from ``lexicon/en.toml``; the rules here are about English word order.
"""

from __future__ import annotations

import re
from typing import Iterable

from .lexicon import Lexicon
from .reader import (
    PART_END,
    Core,
    Reader,
    YearsBefore,
    article_year_month,
    date_value,
    label_year,
    numeric_dates,
    overlaps,
    part_value,
    take,
)
from .types import Grain, Hedge, Value, ValueKind, year_span

_UNITS_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS_WORDS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
               "ninety": 90}
_SCALE_WORDS = {"hundred": 100, "thousand": 1000}
_NUMBER_WORD = "|".join(sorted([*_UNITS_WORDS, *_TENS_WORDS, *_SCALE_WORDS, "dozen", "a"], key=len, reverse=True))
# "and" joins number words only after a hundred or a thousand ("two hundred and five"); "twenty
# and thirty" are two numbers (a range after "between"), not fifty
_WORDS = re.compile(rf"(?i)\b(?:{_NUMBER_WORD})\b(?:(?:(?:(?<=hundred)|(?<=thousand))\s+and\s+|[\s-]+)(?:{_NUMBER_WORD})\b)*")
_DIGITS = re.compile(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)")
_YEAR = r"(?:1\d{3}|20\d{2})"
_PART_YEAR = re.compile(rf"\s*(?:of\s+|,\s*)?(?:(?:about|around|circa|c\.)\s+)?(?:(?:fiscal|FY)\s*)?(?P<year>{_YEAR})\b", re.I)
_COUNTED = re.compile(r"\s+([a-z][a-z'-]*(?:\s+old)?)")
_ORD = r"(?:st|nd|rd|th)?"


_ONE_WORD = re.compile(rf"(?i)(?:{_NUMBER_WORD})")


def is_number_word(word: str) -> bool:
    """Whether ``word`` is one of the words numbers are spelled with ("ten", "thousand", "dozen")."""
    return bool(_ONE_WORD.fullmatch(word))


def words_number(text: str) -> float | None:
    """The value of number words: "fifty-seven" → 57, "two hundred and five" → 205, "a dozen" → 12."""
    tokens = [t for t in re.split(r"[\s-]+", text.lower()) if t and t != "and"]
    if not tokens or tokens == ["a"]:
        return None
    total, current, seen = 0, 0, False
    for i, t in enumerate(tokens):
        if t == "a":
            if i + 1 < len(tokens) and tokens[i + 1] in ("hundred", "thousand", "dozen"):
                current += 1
                continue
            return None
        if t in _UNITS_WORDS:
            current += _UNITS_WORDS[t]
        elif t in _TENS_WORDS:
            current += _TENS_WORDS[t]
        elif t == "dozen":
            current = (current or 1) * 12
        elif t == "hundred":
            current = (current or 1) * 100
        elif t == "thousand":
            total += (current or 1) * 1000
            current = 0
        seen = True
    if not seen or total + current >= 1e300:
        return None  # "hundred hundred …" past any float is no number
    return float(total + current)


class EnglishReader(Reader):
    keep_bare = True

    def __init__(self, lex: Lexicon) -> None:
        super().__init__(lex)
        months = "|".join(sorted((re.escape(m) for m in lex.months.table), key=len, reverse=True)) or "(?!)"
        month = rf"(?P<month>(?i:{months}))\.?"
        # "BC"/"BCE"/"B.C." from the lexicon's [dates] bc
        bc = "|".join(sorted((re.escape(w) for w in lex.bc.table), key=len, reverse=True)) or "(?!)"
        self._bc_after = re.compile(rf"\s*(?:{bc})")
        self._full = re.compile(rf"\b{month}\s+(?P<day>\d{{1,2}}){_ORD},?\s+(?P<year>{_YEAR}|\d{{1,4}}(?=\s*(?:{bc}|AD)))\b")
        self._full_dmy = re.compile(rf"\b(?P<day>\d{{1,2}}){_ORD}\s+(?:of\s+)?{month},?\s+(?P<year>{_YEAR})\b")
        self._month_year = re.compile(rf"\b{month},?\s+(?:of\s+)?(?P<year>{_YEAR})\b")
        # not the start of a full date ("March 18, 2025"), but "as of March 18, 9,800 people" is one
        self._month_day = re.compile(rf"\b{month}\s+(?P<day>\d{{1,2}}){_ORD}\b(?!\s*(?:,\s*)?(?:{_YEAR}(?![\d,])|\d{{1,4}}\s*(?:{bc}|AD)\b))")
        self._day_month = re.compile(rf"\b(?P<day>\d{{1,2}}){_ORD}\s+(?:of\s+)?{month}\b(?!,?\s*\d)")
        self._month_only = re.compile(rf"\b(?:in|since|until|by|from|early|late|mid-?|during|last|this|next)\s+{month}\b(?!\s*\d)", re.I)
        self._decade = re.compile(r"(?:\bthe\s+)?(?:(?P<edge>early|mid-?|late)\s*)?\b(?P<d>1\d{2}0|20\d0)s\b|'(?P<dd>\d0)s\b", re.I)
        self._year_range = re.compile(rf"\b(?P<a>{_YEAR})\s*(?:–|—|-|to)\s*(?P<b>{_YEAR}|\d{{2}})\b(?!\s*(?:%|percent))")
        self._year = re.compile(rf"(?<![\d,.$£€¥#])(?P<bc_year>\d{{1,4}})\s*(?P<bc>{bc})(?![A-Za-z])|(?P<ad>\bAD\s+)(?P<ad_year>\d{{1,4}})\b|(?<![\d,.$£€¥#])(?P<year>{_YEAR})(?!\d|,\d|\.\d|%)")
        self._fiscal = re.compile(rf"\b(?:fiscal(?:\s+year)?\s+|FY\s*)(?P<year>{_YEAR}|\d{{2}})\b")

    # ------------------------------------------------------------------ numbers
    def bare_scale(self, text: str, core: Core) -> bool:
        return text[core.start:core.end].split()[0].lower() in _SCALE_WORDS

    def cores(self, text: str, taken: list[tuple[int, int]]) -> Iterable[Core]:
        found = []
        for m in _DIGITS.finditer(text):
            raw = m.group(0)
            decimals = len(raw.split(".", 1)[1]) if "." in raw else 0
            found.append(Core(m.start(), m.end(), float(raw.replace(",", "")), 10.0 ** -decimals,
                              round_number=not decimals and raw.replace(",", "").endswith("0")))
        for m in _WORDS.finditer(text):
            number = words_number(m.group(0))
            if number is not None:
                found.append(Core(m.start(), m.end(), number, 1.0, round_number=number >= 10 and number % 10 == 0))
        found.sort(key=lambda c: c.start)
        ti = 0
        for core in found:
            while ti < len(taken) and taken[ti][1] <= core.start:
                ti += 1
            if ti < len(taken) and taken[ti][0] < core.end and core.start < taken[ti][1]:
                continue
            yield core

    def core_at(self, text: str, pos: int) -> Core | None:
        m = _DIGITS.match(text, pos)
        if m is not None:
            raw = m.group(0)
            decimals = len(raw.split(".", 1)[1]) if "." in raw else 0
            return Core(m.start(), m.end(), float(raw.replace(",", "")), 10.0 ** -decimals)
        m = _WORDS.match(text, pos)
        number = words_number(m.group(0)) if m else None
        return Core(m.start(), m.end(), number, 1.0) if m and number is not None else None

    def magnitude(self, text: str, pos: int, currency: str) -> tuple[float, int] | None:
        at = pos
        while at < len(text) and text[at] == " ":
            at += 1
        found = self.lex.magnitudes.match(text, at)
        if not found:
            return None
        word, end = found
        if len(word) <= 2 and (at != pos or (word == "m" and not currency)):
            return None  # "5 m" and "300m" are metres; "$3m" and "3bn" are millions and billions
        return float(self.lex.magnitudes.get(word)), end

    def counter(self, text: str, pos: int, core: Core) -> tuple[str, int] | None:
        m = _COUNTED.match(text, pos)
        if not m:
            return None
        word = m.group(1)
        known = self.lex.counters.match(text, m.start(1))
        if known:
            return str(self.lex.counters.get(known[0])), known[1]
        if word in self.lex.not_counters or word in self.lex.months or word.endswith("'s"):
            return None
        return singular(word), m.end(1)

    def skip(self, text: str, core: Core) -> bool:
        if text[core.end:core.end + 1] == ":" and text[core.end + 1:core.end + 2].isdigit():
            return True  # 3:30
        if core.start and text[core.start - 1] == ":" and text[core.start - 2:core.start - 1].isdigit():
            return True
        if text[max(0, core.start - 4):core.start].rstrip().endswith(("#", "No.", "no.")):
            return True
        return super().skip(text, core)

    def _value(self, text: str, core: Core) -> Value | None:
        value = super()._value(text, core)
        if value is None or value.kind is not ValueKind.NUMBER:
            return value
        if not text[core.start].isdigit() and value.hedge is Hedge.NONE:
            return None  # "one of the", "a": words alone are not figures
        before = re.search(r"([A-Z][A-Za-z]*)\s+$", text[max(0, value.start - 24):value.start])
        if before and value.hedge is Hedge.NONE and text[:value.start].strip() != before.group(1):
            return None  # "Route 66", "Apollo 11", "World War 2": a name
        return value

    # ------------------------------------------------------------------ dates
    def dates(self, text: str, article_date: str | None) -> list[Value]:
        lex = self.lex
        year_now, month_now = article_year_month(article_date)
        found: list[Value] = []
        taken: list[tuple[int, int]] = []

        def free(start: int, end: int) -> bool:
            return not overlaps(taken, start, end)

        def add(value: Value) -> None:
            if free(value.start, value.end):
                take(taken, value.start, value.end)
                found.append(value)

        def prefix(start: int) -> tuple[bool, Hedge, int]:
            """An "as of" or a hedge ("about 1939") before a date."""
            hit = lex.as_of.ending_at(text, start, 20)
            if hit:
                return True, Hedge.NONE, hit[1]
            hedge = lex.hedge_before.ending_at(text, start, 16)
            if hedge and lex.hedge(hedge[0], lex.hedge_before) is Hedge.ABOUT:
                return False, Hedge.ABOUT, hedge[1]
            return False, Hedge.NONE, start

        def month_of(m: re.Match[str]) -> int | None:
            word = m.group("month")
            if not word[0].isupper():
                return None  # "may", "march" as verbs
            return int(lex.months.get(word.lower(), 0)) or None

        def infer_year(month: int, pos: int) -> tuple[int | None, bool]:
            """The year named before in the sentence, else a guess from the article's date."""
            named = [v for v in found if v.end <= pos and v.grain in (Grain.YEAR, Grain.MONTH, Grain.DAY)]
            if named:
                last = max(named, key=lambda v: v.end)
                return label_year(last.label), last.year_inferred
            if year_now is None:
                return None, True
            return (year_now if month_now is None or month <= month_now else year_now - 1), True

        # periods first: "the first half of 2025", "Q3 2025", "2025's first half"
        if lex.period_parts.pattern is not None:
            years = YearsBefore(found)
            for m in lex.period_parts.pattern.finditer(text):
                part = str(lex.period_parts.get(m.group(0)))
                after = _PART_YEAR.match(text, m.end())
                before = re.search(rf"\b(?P<year>{_YEAR})(?:'s)?\s+(?:the\s+)?$", text[max(0, m.start() - 12):m.start()])
                start, end = m.start(), m.end()
                if after:
                    year, end = int(after.group("year")), after.end()
                elif before:
                    year, start = int(before.group("year")), m.start() - (len(before.group(0)))
                else:
                    named = years.before(m.start())
                    if named is not None:
                        year = named
                    elif year_now is not None:
                        year = year_now if (month_now or 12) > PART_END[part] \
                            else year_now - 1
                    else:
                        continue
                lead = re.search(r"(?:\bthe\s+)$", text[max(0, start - 4):start], re.I)
                if lead:
                    start -= len(lead.group(0))
                as_of, _, start = prefix(start)
                add(part_value(text, start, end, year, part, as_of))
        for d in numeric_dates(text, day_first=False):  # "2/21/2016": American order unless the day shows
            as_of, hedge, start = prefix(d.start)
            low, high = year_span(d.year, d.month, d.day)
            add(date_value(start, d.end, text, low, high, Grain.DAY, f"{d.year}-{d.month:02d}-{d.day:02d}", as_of,
                           hedge))
        for pattern, has_day, has_year in ((self._full, True, True), (self._full_dmy, True, True),
                                           (self._month_year, False, True), (self._month_day, True, False),
                                           (self._day_month, True, False)):
            for m in pattern.finditer(text):
                month = month_of(m)
                if month is None:
                    continue
                day = int(m.group("day")) if has_day else None
                if day is not None and not 1 <= day <= 31:
                    continue
                year, guessed = (int(m.group("year")), False) if has_year else infer_year(month, m.start())
                if year is None:
                    continue
                if has_year and self._bc_after.match(text, m.end()):
                    year = -year
                as_of, hedge, start = prefix(m.start())
                low, high = year_span(year, month, day)
                label = f"{year}-{month:02d}" + (f"-{day:02d}" if day else "")
                add(date_value(start, m.end(), text, low, high, Grain.DAY if day else Grain.MONTH, label, as_of, hedge,
                               guessed))
        for m in self._month_only.finditer(text):
            month = month_of(m)
            if month is None:
                continue
            year, guessed = infer_year(month, m.start())
            if year is None:
                continue
            low, high = year_span(year, month)
            add(date_value(m.start("month"), m.end(), text, low, high, Grain.MONTH, f"{year}-{month:02d}",
                           year_inferred=guessed))
        for m in self._decade.finditer(text):
            decade = int(m.group("d")) if m.group("d") else 1900 + int(m.group("dd"))
            low = float(decade)
            high = low + 10 - 1e-7
            edge = (m.group("edge") or "").lower().rstrip("-")
            if edge == "early":
                high = low + 4 - 1e-7
            elif edge == "mid":
                low, high = low + 3, low + 7 - 1e-7
            elif edge == "late":
                low = low + 6
            as_of, hedge, start = prefix(m.start())
            add(date_value(start, m.end(), text, low, high, Grain.DECADE, f"{decade}s", as_of, hedge))
        for m in self._year_range.finditer(text):
            a, b_raw = int(m.group("a")), m.group("b")
            b = int(b_raw) if len(b_raw) == 4 else a // 100 * 100 + int(b_raw)
            if a < b <= a + 200:
                lead = re.search(r"\b(?:from|between)\s+$", text[max(0, m.start() - 9):m.start()], re.I)
                start = m.start() - (len(lead.group(0)) if lead else 0)
                add(date_value(start, m.end(), text, float(a), b + 1 - 1e-7, Grain.RANGE, f"{a}-{b}"))
        for m in self._fiscal.finditer(text):
            raw = m.group("year")
            year = int(raw) if len(raw) == 4 else 2000 + int(raw)
            low, high = year_span(year)
            add(date_value(m.start(), m.end(), text, low, high, Grain.YEAR, str(year)))
        for m in self._year.finditer(text):
            if m.group("bc"):
                year = -int(m.group("bc_year"))
            elif m.group("ad"):
                year = int(m.group("ad_year"))
            else:
                year = int(m.group("year"))
                if not self._looks_like_year(text, m):
                    continue
            start, end = m.start(), m.end()
            as_of, hedge, start = prefix(start)
            low, high = year_span(year)
            add(date_value(start, end, text, low, high, Grain.YEAR, str(year), as_of, hedge))
        if year_now is not None and lex.relative_year.pattern is not None:
            for m in lex.relative_year.pattern.finditer(text):
                year = year_now + int(lex.relative_year.get(lex.relative_year.canonical(m.group(0))))
                low, high = year_span(year)
                add(date_value(m.start(), m.end(), text, low, high, Grain.YEAR, str(year)))
        return sorted(found, key=lambda v: v.start)

    def _looks_like_year(self, text: str, m: re.Match[str]) -> bool:
        """A four-digit number is a year unless it counts or measures something ("1500 soldiers")."""
        lex = self.lex
        end = m.end()
        at = end
        while at < len(text) and text[at] == " ":
            at += 1
        for table in (lex.units, lex.currency_suffix, lex.percent_suffix, lex.magnitudes, lex.durations,
                      lex.multiplier):
            if table.match(text, at):
                return False
        before = lex.year_before.ending_at(text, m.start(), 12)
        if before:
            return True
        word = re.match(r"[a-z]+", text[at:at + 20])
        if word and at > end and word.group(0) not in lex.not_counters and word.group(0).endswith("s"):
            return False  # "1500 soldiers" counts; "her 2003 single", "the 2010 census" are years
        return True


def singular(word: str) -> str:
    """"helicopters" → "helicopter": the counted noun without its plural ending."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


