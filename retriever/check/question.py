"""What a question asks: the kind of value, its unit, its period, its measure, and its words.

Read with the same vocabulary as the sentences (``index/values/lexicon/*.toml``): the phrases of
``[question_kinds]`` say what kind of value answers it (哪一年 → a date, how many → a count,
what share → a percentage), a unit or counter after 多少/几/"how many" narrows it, the dates it
names are its period, and its remaining content words are what a source's sentence must speak of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from index.text import fold
from index.values import Value, ValueKind, language_of, lexicon, parse_values
from index.values.zh import chinese_number

from .shares import share_in
from .terms import Terms

NUMERIC_ASKS = {
    "date": (ValueKind.DATE,),
    "count": (ValueKind.COUNT, ValueKind.NUMBER),
    "money": (ValueKind.MONEY,),
    "percent": (ValueKind.PERCENT,),
    "measure": (ValueKind.MEASURE,),
    "duration": (ValueKind.DURATION,),
    "multiple": (ValueKind.MULTIPLE, ValueKind.PERCENT),
    # "多少", "what was": any figure but a date or a span of time, which are asked for in words
    # of their own (哪一年, 多久, how long); "过去三年" beside a figure says when, not what
    "number": (ValueKind.COUNT, ValueKind.NUMBER, ValueKind.MONEY, ValueKind.PERCENT, ValueKind.MEASURE,
               ValueKind.MULTIPLE),
}
#: "what was the revenue", "这家公司的估值是？": any figure may answer; alignment decides
ANY_FIGURE = NUMERIC_ASKS["number"]
#: who and where questions are answered by a name (index/values/names.py), of what it names
NAME_ASKS = {"who": "person", "where": "place"}
#: the unit of "how many times": occurrences, or a multiple
OCCURRENCES = "occurrence"
_ASK_AFTER = re.compile(r"(?:多少|几)\s*")
_LATIN_WORDS = re.compile(r"[a-z]{2,}")
_CLAUSE_END = re.compile(r"[的，,。？?！!；;：:、（(]")
_HOW_MANY = re.compile(r"\bhow\s+many\s+(?:of\s+the\s+)?([a-z][a-z'-]*)(?:\s+([a-z][a-z'-]*))?(?:\s+([a-z][a-z'-]*))?", re.I)


@dataclass(frozen=True)
class Question:
    """A question read for checking.

    ``kinds`` are the value kinds that can answer it (``name`` for who/where questions, empty for
    why/how ones), ``unit`` the unit or counter it names (``length``, ``person``, ``helicopter``, a
    currency; for a name, ``person`` or ``place``), ``period`` a
    date or period it names, ``relative`` whether that period was relative (今年, last year) and
    must be re-read against each article's date, ``modifiers`` the measure it names (adjusted,
    expected...), ``terms`` its content words with weights, ``numbers`` the figures it states.
    """

    text: str
    language: str
    asks: str
    kinds: tuple[ValueKind, ...]
    unit: str = ""
    period: Value | None = None
    relative: bool = False
    modifiers: frozenset[str] = frozenset()
    terms: Terms = field(default_factory=Terms)
    numbers: tuple[float, ...] = ()
    ordinals: frozenset[int] = frozenset()  # which one of a series it asks of ("her first album": 1)
    grain: str = ""  # how precisely a date is asked: "year" (哪一年), "month", "day", or "" (when)

    @property
    def wants_value(self) -> bool:
        return bool(self.kinds)

    def period_for(self, article_date: str | None) -> Value | None:
        """The question's period as an article of ``article_date`` means it ("今年上半年")."""
        if not self.relative or not article_date:
            return self.period
        dates = [v for v in parse_values(self.text, article_date) if v.kind is ValueKind.DATE]
        return dates[-1] if dates else self.period

    def to_dict(self) -> dict[str, object]:
        return {
            "asks": self.asks,
            "kinds": [k.value for k in self.kinds],
            "unit": self.unit,
            "period": self.period.label if self.period is not None else "",
            "modifiers": sorted(self.modifiers),
            "terms": list(self.terms.words),
        }


_RELATIVE = re.compile(r"今年|去年|前年|明年|本年|this year|last year|next year|上半年|下半年", re.I)


def read_question(text: str, today: str | None, idf: dict[str, float] | None = None,
                  kin: Callable[[Sequence[str]], dict[str, tuple[str, ...]]] | None = None) -> Question:
    """Read ``text`` for what kind of value answers it; ``today`` resolves relative dates; ``kin``
    gives a Chinese word's near-synonyms in the corpus (:class:`.kin.WordKin`)."""
    lang = language_of(text)
    lex = lexicon(lang)
    low = fold(text).lower()
    asks, kinds = _asks(low, lex)
    if not asks and lang == "zh" and len(_LATIN_WORDS.findall(low)) >= 2:
        # an English question naming something in Chinese ("When did 青川矿业 list?")
        english = _asks(low, lexicon("en"))
        if english[0]:
            asks, kinds = english
    values = parse_values(text, today)
    dates = [v for v in values if v.kind is ValueKind.DATE]
    unit_kind, unit = _asked_unit(low, lang)
    if unit_kind and asks in ("number", "count", "what", ""):
        kinds = NUMERIC_ASKS[unit_kind]  # "多少米" asks a length, "how many days" a duration
    if ValueKind.MEASURE in kinds and ValueKind.NUMBER not in kinds and not unit:
        unit = _dimension_named(low, lex)  # "示范片面积有多大": an area (a measure asked as such)
    if not kinds and asks in NAME_ASKS:
        kinds, unit = (ValueKind.NAME,), NAME_ASKS[asks]
    period = None
    if dates and ValueKind.DATE not in kinds:
        period = dates[-1]
    elif dates and len(dates) >= 1 and ValueKind.DATE in kinds:
        period = None  # "哪一年..." names no period of its own; a date in it is context
    modifiers = _modifiers(low, lex)
    if lex.change_words.pattern is not None and lex.change_words.pattern.search(low):
        modifiers |= {"change"}  # "by how much did revenue grow": a change may answer
    numbers = tuple(v.number for v in values if v.kind is not ValueKind.DATE)
    terms = Terms.of_question(text, lex, idf or {}, skip=[(v.start, v.end) for v in values], kin=kin)
    relative = period is not None and bool(_RELATIVE.search(period.text)) and not re.search(r"\d{4}", period.text)
    grains = [m.group(0) for m in lex.question_grains.pattern.finditer(low)] if lex.question_grains.pattern else []
    grain = str(lex.question_grains.get(lex.question_grains.canonical(max(grains, key=len)))) if grains else ""
    return Question(text, lang, asks, kinds, unit, period, relative, modifiers, terms, numbers,
                    ordinals_in(low, lex), grain)


def _asks(low: str, lex) -> tuple[str, tuple[ValueKind, ...]]:  # type: ignore[no-untyped-def]
    """The question's kind phrase, longest first: ``(kind, value kinds)``."""
    table = lex.question_kinds
    if table.pattern is None:
        return "", ()
    # the longest phrase; of equal ones, English asks first ("When ...") and Chinese last (...是哪一年)
    later_wins = lex.language == "zh"
    best: tuple[tuple[bool, int, int], tuple[str, ...]] | None = None
    specifics: list[tuple[str, ...]] = []
    for m in table.pattern.finditer(low):
        # a phrase that names a kind of value outranks a bare "what"/"which"/"多少"
        kinds = table.get(table.canonical(m.group(0)))
        specific = kinds[0] not in ("what", "which", "number")
        if specific:
            specifics.append(kinds)
        key = (specific, len(m.group(0)), m.start() if later_wins else -m.start())
        if best is None or key > best[0]:
            best = (key, kinds)
    if best is None:
        # "这家公司2024年的收入？", or a question with a typo: any value, if a source states one that fits
        return "", ANY_FIGURE + (ValueKind.DATE, ValueKind.DURATION)
    found = best[1]
    # several phrases narrow each other: "how much ... cost" asks money, not any amount
    shared = [k for k in found if all(k in other for other in specifics)]
    if shared and len(specifics) > 1:
        found = tuple(shared)
    first = found[0]
    kinds_out: list[ValueKind] = []
    for kind in found:
        kinds_out.extend(NUMERIC_ASKS.get(kind, ()))
    if first == "what" and lex.language == "en":
        # "What was the revenue?": a figure, if a source states one that fits. (A Chinese figure is
        # asked with 多少/几; "研发了什么系统" asks a name.)
        return "what", ANY_FIGURE
    return first, tuple(dict.fromkeys(kinds_out))


def _dimension_named(low: str, lex) -> str:  # type: ignore[no-untyped-def]
    """The dimension of the measure a question's noun names ("面积" area, "height" length), also
    through the word its asking phrase implies ("多高": 高度); "" when it names none or several."""
    table = lex.dimension_nouns
    if table.pattern is None:
        return ""
    words = [m.group(0) for m in table.pattern.finditer(low)]
    if lex.asked_words.pattern is not None:
        words += [w for m in lex.asked_words.pattern.finditer(low)
                  for w in lex.asked_words.get(lex.asked_words.canonical(m.group(0)))]
    found = {str(table.get(table.canonical(w))) for w in words if table.get(table.canonical(w))}
    return found.pop() if len(found) == 1 else ""


def _asked_unit(low: str, lang: str) -> tuple[str, str]:
    """The kind and unit a question names after 多少/几/"how many": ``("measure", "length")`` for 多少米."""
    lex = lexicon(lang)
    if lang == "zh":
        for m in _ASK_AFTER.finditer(low):
            pos = m.end()
            # "多少资金", "多少直接经济损失": a noun of the figure's kind within the next few words
            named = lex.asked_nouns.pattern.search(_CLAUSE_END.split(low[pos:pos + 8])[0]) \
                if lex.asked_nouns.pattern else None
            if named:
                return str(lex.asked_nouns.get(lex.asked_nouns.canonical(named.group(0)))), ""
            for table, kind in ((lex.units, "measure"), (lex.durations, "duration"), (lex.currency_suffix, "money"),
                                (lex.percent_suffix, "percent"), (lex.multiplier, "multiple"), (lex.counters, "count")):
                found = table.match(low, pos)
                if not found:
                    continue
                value = table.get(found[0])
                if kind == "measure":
                    return kind, value.dimension
                if kind == "duration":
                    return kind, "day"
                if kind == "money":
                    return kind, "CNY" if value == "yuan" else str(value)
                if kind == "percent":
                    return kind, "%"
                if kind == "multiple":
                    return kind, "x"
                return kind, str(value)
            # "总投资多少？", "经费是多少？": the question ends on its asking word, and is no share
            # ("海外收入占总收入多少", "收入有多少来自海外")
            ends = not low[pos:].strip(" ？?。.！!")
            before = _noun_before(low[:m.start()], lex) if ends and share_in(low, lex, question=True) is None else None
            if before:
                return str(lex.asked_nouns.get(lex.asked_nouns.canonical(before.group(0)))), ""
            ch = low[pos:pos + 1]
            if "\u4e00" <= ch <= "\u9fff" and ch not in lex.not_counters:
                return "count", ch
        return "", ""
    m = _HOW_MANY.search(low)
    if m:
        # the counted noun: the first plural of the next words ("how many imax screens showed")
        words = []
        for w in (g for g in m.groups() if g):
            if w in lex.not_counters or w in lex.question_words:
                break
            words.append(w)
        if not words:
            return "", ""
        word = next((w for w in words if w.endswith("s") and not w.endswith("ss")), words[0])
        if lex.durations.get(word):
            return "duration", "day"
        if lex.units.get(word):
            return "measure", lex.units.get(word).dimension
        counted = lex.counters.get(word)
        if counted:
            return "count", str(counted)
        if lex.multiplier.get(word):
            # "how many times oversubscribed": a multiple, or a count of occurrences, not of things
            return "", OCCURRENCES
        from index.values.en import singular

        return "count", singular(word)
    return "", ""


def _noun_before(before: str, lex) -> "re.Match[str] | None":  # type: ignore[no-untyped-def]
    """An ``[asked_nouns]`` noun that ends right before the asking word, but for the question's
    own small words between them ("经费是多少", "亏损了多少")."""
    if lex.asked_nouns.pattern is None:
        return None
    small = sorted(lex.question_words, key=len, reverse=True)
    trimmed = before.rstrip()
    while True:
        word = next((w for w in small if trimmed.endswith(w)), None)
        if word is None:
            break
        trimmed = trimmed[:-len(word)].rstrip()
    window = trimmed[-8:]
    found = [m for m in lex.asked_nouns.pattern.finditer(window) if m.end() == len(window)]
    return max(found, key=lambda m: len(m.group(0))) if found else None


_NTH = re.compile(r"第\s*([0-9一二两三四五六七八九十百]+)|\b(\d+)(?:st|nd|rd|th)\b")


def ordinals_in(low: str, lex) -> frozenset[int]:  # type: ignore[no-untyped-def]
    """The places in a series that folded, lower-cased text names: "first", "第二", "首张", "3rd"."""
    found: set[int] = set()
    if lex.ordinals.pattern is not None:
        found.update(int(lex.ordinals.get(lex.ordinals.canonical(m.group(0)))) for m in lex.ordinals.pattern.finditer(low))
    for m in _NTH.finditer(low):
        raw = m.group(1) or m.group(2)
        number = int(raw) if raw.isdigit() else chinese_number(raw)
        if number is not None and number == int(number):
            found.add(int(number))
    return frozenset(found)


def _modifiers(low: str, lex) -> frozenset[str]:  # type: ignore[no-untyped-def]
    if lex.modifiers.pattern is None:
        return frozenset()
    return frozenset(str(lex.modifiers.get(lex.modifiers.canonical(m.group(0))))
                     for m in lex.modifiers.pattern.finditer(low))


