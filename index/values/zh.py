"""Chinese: numbers in Arabic or Chinese numerals, counters, and dates written with 年/月/日.

Works on folded text (Simplified, half-width), so both scripts read the same way. Chinese
numerals are converted by ``cn2an``; everything else comes from ``lexicon/zh.toml``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from ..text import word_from_magnitude
from .lexicon import Lexicon
from .reader import (
    PART_END,
    Core,
    Reader,
    Suffix,
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

_CN_DIGIT = "零〇一二两三四五六七八九"
_CN_NUM = _CN_DIGIT + "十百千万亿点"
_SCALE_CHARS = frozenset("十百千万亿")
_CORE = re.compile(rf"\d+(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|[{_CN_NUM}]+")

_MONTH = r"1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]"
_DAY = r"3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九]"
_YEAR = rf"\d{{4}}|[{_CN_DIGIT}]{{4}}"
_DATE = re.compile(
    rf"(?P<bc>公元前)?(?P<ad>公元)?(?P<year>{_YEAR}|(?<=公元前)\d{{1,4}}|(?<=公元)\d{{1,4}}|\d{{2}}(?=\s*年代)|[{_CN_DIGIT}]{{2}}(?=年代))"
    rf"\s*年(?P<decade>代)?"
    rf"(?:\s*(?P<month>{_MONTH})\s*月(?:份)?(?:\s*(?P<day>{_DAY})\s*[日号])?)?"
)
_YEAR_RANGE = re.compile(rf"(?P<a>\d{{4}})\s*(?:年)?\s*(?:至|到|-|–|—|~)\s*(?P<b>\d{{4}})\s*年")
_MONTH_DAY = re.compile(rf"(?<![\d年个第])(?P<month>{_MONTH})\s*月\s*(?P<day>{_DAY})\s*[日号]")
_MONTH_ONLY = re.compile(rf"(?<![\d年个第{_CN_NUM}])(?P<month>{_MONTH})\s*月(?!\s*[\d{_CN_DIGIT}十]|份?\s*[\d])")
_TODAY = re.compile(r"今\s*[(（]\s*(?P<day>\d{1,2})\s*[)）]\s*日")
_ORDINAL = re.compile(r"第\s*$")
_COMPOUND = re.compile(r"(?P<a>\d+)\s*(?P<big>亿|万)\s*(?P<b>\d+)\s*(?P<small>千万|百万|万|千|百)(?![\d万亿])")
_COMPOUND_MAG = {"亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3, "百": 1e2}
_RANGE_AFTER = re.compile(rf"\s*(?:至|到|-|–|~)\s*[\d{_CN_DIGIT}十]")
_ROUND_MAGNITUDE = re.compile(r"[百千万][万亿]+")
_NUMERAL_BEFORE = re.compile(rf"[\d{_CN_NUM}]")
_HALF_DURATION = re.compile(r"(?<![上下前后个多])半\s*(?:个\s*)?(?P<unit>年|月|天|小时|钟头)")
_AND_A_HALF = re.compile(r"\s*个半\s*(?P<unit>小时|钟头|月|星期|礼拜|世纪)")
_HALF_UNITS = {"年": 365.25, "月": 30.4375, "天": 1.0, "小时": 1 / 24, "钟头": 1 / 24, "星期": 7.0, "礼拜": 7.0,
               "世纪": 36525.0}


_NUMERALS = re.compile(f"[{_CN_NUM}]+")


def is_numeral(word: str) -> bool:
    """Whether ``word`` (folded) is written in Chinese numerals alone (一万, 三百, 五十)."""
    return bool(_NUMERALS.fullmatch(word))


@lru_cache(maxsize=4096)
def chinese_number(text: str) -> float | None:
    """A Chinese numeral's value (两 → 2, 一九八六 → 1986, 三百五十 → 350, 百亿 → 10¹⁰); None if it
    is not one."""
    if _ROUND_MAGNITUDE.fullmatch(text):
        text = "一" + text  # "百亿美元", "千万用户", "万亿市值": a round magnitude, its 一 unsaid
    if len(text) > 24 or not any(c in _CN_DIGIT or c == "十" for c in text) or text[:1] == "点" or text[-1:] == "点":
        return None
    try:
        import cn2an

        return float(cn2an.cn2an(text, "normal"))
    except (ValueError, KeyError, IndexError, TypeError, OverflowError):
        return None


def _small_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    value = chinese_number(text)
    return int(value) if value is not None and value == int(value) else None


def _year_of(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if all(c in _CN_DIGIT for c in text):  # 一九八六: digit by digit
        digits = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
        return int("".join(str(digits[c]) for c in text))
    return None


class ChineseReader(Reader):
    keep_bare = False

    def __init__(self, lex: Lexicon) -> None:
        super().__init__(lex)

    def cores(self, text: str, taken: list[tuple[int, int]]) -> Iterable[Core]:
        ti = 0
        compound_end = -1
        for m in _CORE.finditer(text):
            if m.start() < compound_end:
                continue
            compound = _COMPOUND.match(text, m.start())
            if compound:  # "12万8千": 128000, written in two magnitudes
                big, small = _COMPOUND_MAG[compound.group("big")], _COMPOUND_MAG[compound.group("small")]
                number = float(compound.group("a")) * big + float(compound.group("b")) * small
                compound_end = compound.end()
                yield Core(m.start(), compound.end(), number, small)
                continue
            while ti < len(taken) and taken[ti][1] <= m.start():
                ti += 1
            if ti < len(taken) and taken[ti][0] < m.end() and m.start() < taken[ti][1]:
                continue
            raw = m.group(0)
            if raw[0].isdigit():
                number = float(raw.replace(",", ""))
                decimals = len(raw.split(".", 1)[1]) if "." in raw else 0
                yield Core(m.start(), m.end(), number, 10.0 ** -decimals,
                           round_number=not decimals and raw.replace(",", "").endswith("0"))
                continue
            if raw in self.lex.magnitudes.table:
                hedged = self.lex.hedge_before_magnitude.ending_at(text, m.start(), 2)
                if hedged and not _NUMERAL_BEFORE.search(text, max(0, hedged[1] - 1), hedged[1]) \
                        and self.lex.not_hedges.ending_at(text, m.start(), 4) is None \
                        and not word_from_magnitude(text, m.start(), m.end()) \
                        and (self.lex.numeral_words.match(text, m.start()) or ("", 0))[1] <= m.end():
                    # "销量破亿", "上万人": one of the magnitude, hedged (the magnitude is read after it)
                    yield Core(hedged[1], m.start(), 1.0, 1.0, round_number=True,
                               hedge=self.lex.hedge(hedged[0], self.lex.hedge_before_magnitude))
                    continue
            value = chinese_number(raw)
            if value is None:
                continue
            if raw == "一" and not self._measured(text, m.end()):
                continue  # "一家", "一度": an article, not a count; "一个半小时", "一亿元" are values
            yield Core(m.start(), m.end(), value, 1.0, round_number=raw[-1] in "十百千万亿")

    def core_at(self, text: str, pos: int) -> Core | None:
        m = _CORE.match(text, pos)
        if m is None:
            return None
        raw = m.group(0)
        if raw[0].isdigit():
            decimals = len(raw.split(".", 1)[1]) if "." in raw else 0
            return Core(m.start(), m.end(), float(raw.replace(",", "")), 10.0 ** -decimals)
        value = chinese_number(raw)
        return None if value is None else Core(m.start(), m.end(), value, 1.0)

    def _measured(self, text: str, pos: int) -> bool:
        """"一个月", "一个半小时", "一亿元": a 一 that is a value, not an article."""
        lex = self.lex
        if _AND_A_HALF.match(text, pos):
            return True
        return any(table.match(text, pos) for table in (lex.durations, lex.units, lex.currency_suffix, lex.magnitudes))

    def _suffix(self, text: str, pos: int, core: Core) -> Suffix | None:
        m = _AND_A_HALF.match(text, pos)
        if m and core.number:
            days = _HALF_UNITS[m.group("unit")]
            return Suffix(ValueKind.DURATION, "day", days * (core.number + 0.5) / core.number, m.end())
        return super()._suffix(text, pos, core)

    def magnitude(self, text: str, pos: int, currency: str) -> tuple[float, int] | None:
        if text[pos:pos + 1] == "个" and text[pos + 1:pos + 2] in ("亿", "万"):
            pos += 1  # "3个亿": colloquial 3亿
        return super().magnitude(text, pos, currency)

    def bare_scale(self, text: str, core: Core) -> bool:
        # 十万, 百万, 千: scales alone ("数十万" is vague); 十二万, 十万零五百 are figures, even
        # after a word ending in 数 ("受影响人数十二万人")
        return bool(core.end > core.start) and set(text[core.start:core.end]) <= _SCALE_CHARS

    def skip(self, text: str, core: Core) -> bool:
        if _ORDINAL.search(text, max(0, core.start - 3), core.start):
            return True
        raw = text[core.start:core.end]
        if not raw[0].isdigit() and self.lex.numeral_words.match(text, core.start):
            return True  # "十分重要", "一直": a word that starts with a numeral
        if not raw[0].isdigit() and not _RANGE_AFTER.match(text, core.end):
            # a Chinese numeral must be followed by a word for what it counts: "三星" is a name
            nxt = text[core.end:core.end + 1]
            if nxt in self.lex.not_counters and nxt not in self.lex.magnitudes and not self._measured(text, core.end) \
                    and not self.lex.hedge_after_number.match(text, core.end):
                return True  # "十分重要", "三星": a word, not a figure
        return super().skip(text, core)

    def counter(self, text: str, pos: int, core: Core) -> tuple[str, int] | None:
        at = pos
        while at < len(text) and text[at] == " ":
            at += 1
        found = self.lex.counters.match(text, at)
        if found:
            return str(self.lex.counters.get(found[0])), found[1]
        ch = text[at:at + 1]
        arabic = text[core.start:core.start + 1].isdigit() and pos == core.end
        if arabic and "\u4e00" <= ch <= "\u9fff" and ch not in self.lex.not_counters:
            return ch, at + 1  # "5642米" is a unit, "3座" a counter; an unknown one is compared as text
        return None

    def dates(self, text: str, article_date: str | None) -> list[Value]:
        lex = self.lex
        year_now, month_now = article_year_month(article_date)
        found: list[Value] = []
        taken: list[tuple[int, int]] = []

        def add(value: Value) -> None:
            if take(taken, value.start, value.end):
                found.append(value)

        def as_of(start: int) -> tuple[bool, int]:
            hit = lex.as_of.ending_at(text, start, 8)
            return (True, hit[1]) if hit else (False, start)

        for d in numeric_dates(text, day_first=True):  # "2026-01-08", "2026/1/8"
            flag, start = as_of(d.start)
            low, high = year_span(d.year, d.month, d.day)
            add(date_value(start, d.end, text, low, high, Grain.DAY, f"{d.year}-{d.month:02d}-{d.day:02d}", flag))
        for m in _YEAR_RANGE.finditer(text):
            a, b = int(m.group("a")), int(m.group("b"))
            if 1000 <= a < b <= 2199:
                add(date_value(m.start(), m.end(), text, float(a), b + 1 - 1e-7, Grain.RANGE, f"{a}-{b}"))
        for m in _DATE.finditer(text):
            year = _year_of(m.group("year"))
            if year is None:
                continue
            if m.group("decade"):
                if year < 100:
                    year += 1900
                if year % 10:
                    continue
                low, high = year_span(year)
                add(date_value(m.start(), m.end(), text, low, low + 10 - 1e-7, Grain.DECADE, f"{year}s"))
                continue
            if m.group("bc"):
                year = -year
            elif not m.group("ad") and not (1000 <= year <= 2199):
                continue  # "300年" is a duration
            end = m.end()
            month = _small_number(m.group("month")) if m.group("month") else None
            day = _small_number(m.group("day")) if m.group("day") else None
            flag, start = as_of(m.start())
            part = None if month else lex.period_parts.match(text, _space(text, end))
            if part:
                add(part_value(text, start, part[1], year, str(lex.period_parts.get(part[0])), flag))
                continue
            if month and not 1 <= month <= 12 or day and not 1 <= day <= 31:
                continue
            grain = Grain.DAY if day else Grain.MONTH if month else Grain.YEAR
            low, high = year_span(year, month, day)
            label = f"{year}" + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day else "")
            edge = re.match(r"\s*(?:底|末)", text[end:end + 3])
            if edge and month:
                end += edge.end()
            add(date_value(start, end, text, low, high, grain, label, flag or bool(edge)))
        # relative years: 今年, 去年上半年, 去年12月
        if year_now is not None:
            for m in lex.relative_year.pattern.finditer(text) if lex.relative_year.pattern else ():
                year = year_now + int(lex.relative_year.get(m.group(0)))
                end = m.end()
                flag, start = as_of(m.start())
                part = lex.period_parts.match(text, _space(text, end))
                if part:
                    add(part_value(text, start, part[1], year, str(lex.period_parts.get(part[0])), flag))
                    continue
                month_m = re.compile(rf"\s*(?P<month>{_MONTH})\s*月").match(text, end)
                if month_m and (month := _small_number(month_m.group("month"))) and 1 <= month <= 12:
                    low, high = year_span(year, month)
                    add(date_value(start, month_m.end(), text, low, high, Grain.MONTH, f"{year}-{month:02d}", flag))
                    continue
                low, high = year_span(year)
                add(date_value(start, end, text, low, high, Grain.YEAR, str(year), flag))
            for m in _TODAY.finditer(text):
                day = int(m.group("day"))
                if month_now and 1 <= day <= 31:
                    low, high = year_span(year_now, month_now, day)
                    add(date_value(m.start(), m.end(), text, low, high, Grain.DAY, f"{year_now}-{month_now:02d}-{day:02d}"))
        def year_for(month: int, pos: int) -> tuple[int | None, bool]:
            """A month without a year: the year named before it in the sentence, else the latest
            such month up to the article's date (a guess: ``(year, guessed)``)."""
            named = [v for v in found if v.end <= pos and v.grain in (Grain.YEAR, Grain.MONTH, Grain.DAY)]
            if named:
                last = max(named, key=lambda v: v.end)
                return label_year(last.label), last.year_inferred
            if year_now is None:
                return None, True
            return (year_now if month_now is None or month <= month_now else year_now - 1), True

        for m in _MONTH_DAY.finditer(text):
            month, day = _small_number(m.group("month")), _small_number(m.group("day"))
            if not month or not day or not (1 <= month <= 12 and 1 <= day <= 31):
                continue
            year, guessed = year_for(month, m.start())
            if year is None:
                continue
            flag, start = as_of(m.start())
            low, high = year_span(year, month, day)
            add(date_value(start, m.end(), text, low, high, Grain.DAY, f"{year}-{month:02d}-{day:02d}", flag,
                           year_inferred=guessed))
        for m in _MONTH_ONLY.finditer(text):
            month = _small_number(m.group("month"))
            if not month or not 1 <= month <= 12:
                continue
            year, guessed = year_for(month, m.start())
            if year is None:
                continue
            flag, start = as_of(m.start())
            low, high = year_span(year, month)
            add(date_value(start, m.end(), text, low, high, Grain.MONTH, f"{year}-{month:02d}", flag,
                           year_inferred=guessed))
        # a half or quarter without a year: the year named before it in the sentence, else the
        # article's (a first half is reported from July on)
        if lex.period_parts.pattern is not None:
            years = YearsBefore(found)
            for m in lex.period_parts.pattern.finditer(text):
                if overlaps(taken, m.start(), m.start() + 1):
                    continue
                named = years.before(m.start())
                if named is not None:
                    year = named
                elif year_now is not None:
                    part = str(lex.period_parts.get(m.group(0)))
                    year = year_now if (month_now or 12) > PART_END[part] \
                        else year_now - 1
                else:
                    continue
                flag, start = as_of(m.start())
                add(part_value(text, start, m.end(), year, str(lex.period_parts.get(m.group(0))), flag))
        return sorted(found, key=lambda v: v.start)

    def durations_by_half(self, text: str) -> list[Value]:
        """"半年", "半个月": half a unit of time."""
        out = []
        for m in _HALF_DURATION.finditer(text):
            days = _HALF_UNITS[m.group("unit")]
            number = 0.5 * days
            out.append(Value(m.start(), m.end(), m.group(0), ValueKind.DURATION, "day", number, number * 0.9,
                             number * 1.1, Hedge.NONE))
        return out

    def read(self, text: str, article_date: str | None = None) -> list[Value]:
        values = super().read(text, article_date)
        taken = sorted((v.start, v.end) for v in values)
        halves = [v for v in self.durations_by_half(text) if not overlaps(taken, v.start, v.end)]
        values = _extend_halves(text, values)
        return sorted(values + halves, key=lambda v: v.start)


def _space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] == " ":
        pos += 1
    return pos




def _extend_halves(text: str, values: list[Value]) -> list[Value]:
    """"两年半", "一个半小时": a duration and a half."""
    out = []
    for v in values:
        if v.kind is ValueKind.DURATION:
            if text[v.end:v.end + 1] == "半":
                unit_days = v.number / max(_leading(v), 1e-9)
                number = v.number + 0.5 * unit_days
                end = v.end + 1
                v = Value(v.start, end, text[v.start:end], v.kind, v.unit, number,
                          v.low + 0.5 * unit_days, v.high + 0.5 * unit_days, v.hedge)
        out.append(v)
    return out


def _leading(v: Value) -> float:
    """The number a duration was written with (两年 → 2)."""
    m = re.search(rf"\d+(?:\.\d+)?|[{_CN_NUM}]+", v.text)
    if not m:
        return 1.0
    raw = m.group(0)
    return float(raw) if raw[0].isdigit() else (chinese_number(raw) or 1.0)

