"""The vocabulary for reading values, per language: data files checked when they are loaded.

``lexicon/<lang>.toml`` holds a language's hedges, magnitudes, currencies, units, durations,
counters, date and period words, measure modifiers and question words; ``lexicon/common.toml``
holds symbols every language shares ($, %, km). A user can add words with their own TOML file
(same tables) through :func:`extend_lexicon` or the ``FACTCHECK_LEXICON`` environment variable
(file paths separated by ``os.pathsep``); each file names its ``language``.

A mistake in any file (an unknown table, a hedge kind or dimension that does not exist, a word
given two meanings) raises :class:`LexiconError` when the lexicon loads, naming the file and
the entry, instead of silently dropping values later.
"""

from __future__ import annotations

import os
import re
import threading
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

from ..errors import FactCheckError
from .types import Hedge

HERE = Path(__file__).parent / "lexicon"
LANGUAGES = ("zh", "en")

#: Dimensions a unit may measure (``[units]``: word = [dimension, factor to the base unit]).
DIMENSIONS = frozenset({"length", "area", "volume", "mass", "speed", "temperature", "temperature_f", "power",
                        "energy", "data", "magnitude"})
#: What a question may ask for (``[question_kinds]``).
ASK_KINDS = frozenset({"date", "count", "money", "percent", "measure", "duration", "multiple", "number",
                       "who", "where", "which", "what", "why", "how", "code"})

#: What a noun after 多少/几 says is asked (``[asked_nouns]``): "多少资金" asks money.
NOUN_KINDS = frozenset({"money", "percent", "count", "measure", "duration"})

#: What a name ending in a ``[name_words]`` word names ("Orchard Alliance", "Tennant Park").
NAME_KINDS = frozenset({"organisation", "place"})

#: How precisely a question asks for a date (``[question_grains]``).
ASK_GRAINS = frozenset({"year", "month", "day"})

# table name -> what its values must be
_WORD_TABLES = {
    "hedge_before": "hedge", "hedge_after_number": "hedge", "hedge_after_unit": "hedge",
    "hedge_before_magnitude": "hedge",
    "magnitudes": "number", "currency_prefix": "code", "currency_suffix": "code",
    "percent_prefix": "percent", "percent_suffix": "percent", "multiplier": "code",
    "units": "unit", "unit_before": "unit", "durations": "number", "counters": "code", "modifiers": "code",
    "question_kinds": "kinds", "ordinals": "number", "question_grains": "grain", "asked_nouns": "noun_kind",
    "asked_words": "words", "dimension_nouns": "dimension", "name_words": "name_kind",
}
_LIST_TABLES = {"name_titles": ("words",), "negations": ("words",), "not_counters": ("words",), "not_hedges": ("words",), "numeral_words": ("words",), "vague_before": ("words",), "not_units": ("words",), "contrasts": ("pairs",),
                "question_words": ("words",), "complements": ("words",),
                "change": ("words", "to_words"), "sentences": ("abbreviations", "final_abbreviations"),
                "framing": ("modifiers",), "scales": ("words",), "shares": ("between", "of_total", "whole_first", "of_whole", "part_after")}
_DATE_KEYS = {"months": "month_map", "bc": "list", "decade": "list", "year_before": "list"}
_PERIOD_KEYS = {"relative_year": "int_map", "part": "part_map", "as_of": "list", "update": "list", "baseline": "list"}
_PARTS = re.compile(r"H[12]|Q[1-4]|M9")
# A word may mean one thing after a number: a currency, a percent, a unit, a duration or a counter.
_EXCLUSIVE = ("currency_suffix", "percent_suffix", "multiplier", "units", "durations", "counters")


class LexiconError(FactCheckError, ValueError):
    """A vocabulary file is malformed: the message names the file and the entry."""


class Words:
    """A set of words matched longest first, as a compiled alternation.

    Alphabetic words of three or more letters match in any case; symbols and short words
    match exactly (``m`` is metres, ``M`` is not; ``Million`` is ``million``). Tables of
    phrases rather than symbols (``any_case``) match every alphabetic word in any case ("By
    March 18" is an "as of").
    """

    def __init__(self, words: Mapping[str, Any] | list[str] | tuple[str, ...], any_case: bool = False) -> None:
        self.any_case = any_case
        self.table: dict[str, Any] = dict(words) if isinstance(words, Mapping) else dict.fromkeys(words, True)
        self._folded = {self._key(w): v for w, v in self.table.items()}
        self._listed = {self._key(w): w for w in self.table}
        ordered = sorted(self.table, key=len, reverse=True)
        parts = [self._pattern(w) for w in ordered]
        self.pattern = re.compile("|".join(parts)) if parts else None
        # "约" before a number, allowing spaces: searched in a short window ending at the number
        self.before = re.compile(f"(?:{'|'.join(parts)})\\s*$") if parts else None

    def _key(self, word: str) -> str:
        return word.lower() if self._loose(word, self.any_case) else word

    @staticmethod
    def _loose(word: str, any_case: bool = False) -> bool:
        return (len(word) >= 3 or any_case) and word.replace(" ", "").replace("-", "").replace(".", "").isalpha() \
            and word.isascii()

    def _pattern(self, word: str) -> str:
        escaped = re.escape(word).replace(r"\ ", r"\s+")
        if self._loose(word, self.any_case):
            escaped = f"(?i:{escaped})"
        if word[-1:].isalpha() and word.isascii():
            escaped += r"(?![A-Za-z])"  # "m" is not the start of "metres"; "over" not of "overall"
        if word[:1].isalpha() and word.isascii():
            escaped = r"(?<![A-Za-z])" + escaped
        return escaped

    def match(self, text: str, pos: int) -> tuple[str, int] | None:
        """The longest word starting at ``pos``: ``(word as listed, end)``."""
        if self.pattern is None:
            return None
        m = self.pattern.match(text, pos)
        if not m:
            return None
        return self.canonical(m.group(0)), m.end()

    def ending_at(self, text: str, pos: int, window: int = 24) -> tuple[str, int] | None:
        """The word that ends right before ``pos`` (spaces allowed between): ``(word, start)``."""
        if self.before is None:
            return None
        lo = max(0, pos - window)
        m = self.before.search(text, lo, pos)
        if not m:
            return None
        return self.canonical(m.group(0).rstrip()), m.start()

    def canonical(self, found: str) -> str:
        """The listed spelling of a matched word (case and inner spaces as in the lexicon)."""
        key = re.sub(r"\s+", " ", found)
        if key in self.table:
            return key
        return self._listed.get(self._key(key), key)

    def get(self, word: str, default: Any = None) -> Any:
        return self.table.get(word, self._folded.get(self._key(word), default))

    def __contains__(self, word: str) -> bool:
        return word in self.table or self._key(word) in self._folded

    def __bool__(self) -> bool:
        return bool(self.table)

    def __len__(self) -> int:
        return len(self.table)


@dataclass(frozen=True)
class Unit:
    """A unit of measure: its dimension and its size in the dimension's base unit."""

    dimension: str
    factor: float


@dataclass
class Lexicon:
    """One language's vocabulary, merged with the common symbols and any user files."""

    language: str
    hedge_before: Words
    hedge_after_number: Words
    hedge_after_unit: Words
    hedge_before_magnitude: Words  # "破亿", "上万人": a magnitude written alone after these is one of it
    magnitudes: Words
    currency_prefix: Words
    currency_suffix: Words
    percent_prefix: Words
    percent_suffix: Words
    multiplier: Words
    units: Words
    unit_before: Words
    durations: Words
    counters: Words
    not_counters: frozenset[str]
    not_hedges: Words
    not_units: Words  # "年度" (annual) begins with the unit 年 but is no span of years
    contrasts: frozenset[frozenset[str]]  # 上/下, 月/年: words differing only by these say different things
    numeral_words: Words
    vague_before: Words  # "数", "several": a bare 十万 or "thousand" after these is a vague amount, no figure
    modifiers: Words
    framing: frozenset[str]  # modifier names that frame the rest of their sentence ("planned", "expected")
    ordinals: Words  # "first", "第二": which one of a series a figure is said of
    change_words: Words
    change_to: Words
    months: Words
    bc: Words
    decade: Words
    year_before: Words
    relative_year: Words
    period_parts: Words
    as_of: Words
    update: Words
    baseline: Words  # "较2023年": a date after these is compared with, not a figure's period
    question_kinds: Words
    question_grains: Words  # "哪一年", "what year": a date asked to the year, month or day
    asked_nouns: Words  # "多少资金": a noun after the asking word that names the kind of figure
    asked_words: Words  # "how deep" → depth: the words an asking phrase implies its answer stands near
    dimension_nouns: Words  # "面积", "height": what a measure asked with this noun measures
    name_words: Words  # "Alliance", "Park": an English name ending in one names an organisation or a place
    name_titles: frozenset[str]  # "Dr", "Mayor"; "女士", "教授": a title beside a name, not the name
    negations: frozenset[str]  # "not", "未": a role said not to be held ("did not score")
    share_between: Words  # "A占B": a share of A in B
    share_of_total: Words  # "A占比": a share of A in the whole
    share_whole_first: Words  # "B中有多大比例…A": the whole named first, then the part
    share_of_whole: Words  # a question's "what share of B…": the whole after it
    share_part_after: Words  # "…came from A": where a question's part follows its whole
    question_words: frozenset[str]
    complements: frozenset[str]  # "赔掉", "卖完": a verb's result, which its other forms lack (赔偿, 卖出)
    abbreviations: frozenset[str] = frozenset()
    final_abbreviations: frozenset[str] = frozenset()
    synonyms: tuple[tuple[str, ...], ...] = ()
    scales: tuple[tuple[str, float], ...] = ()  # magnitudes a value is restated with, smallest first
    sources: tuple[str, ...] = field(default=())

    @cached_property
    def counted(self) -> frozenset[str]:
        """What the ``[counters]`` words count (their codes: ``person``, ``share``…)."""
        return frozenset(str(code) for code in self.counters.table.values())

    def hedge(self, word: str, table: Words) -> Hedge:
        return Hedge(table.get(word, ""))


# ----------------------------------------------------------------------------- loading


def _fail(source: str, message: str) -> LexiconError:
    return LexiconError(f"{source}: {message}")


def _check_word(source: str, table: str, word: object) -> str:
    if not isinstance(word, str) or not word.strip() or word != word.strip():
        raise _fail(source, f"[{table}] has an empty or padded word: {word!r}")
    return word


def _check_value(source: str, table: str, word: str, value: object, what: str) -> object:
    where = f"[{table}] {word!r}"
    if what == "hedge":
        if value not in {h.value for h in Hedge if h is not Hedge.NONE}:
            raise _fail(source, f"{where}: hedge kind {value!r} is not one of "
                                f"{sorted(h.value for h in Hedge if h is not Hedge.NONE)}")
    elif what == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise _fail(source, f"{where}: expected a positive number, got {value!r}")
        return float(value)
    elif what == "code":
        if not isinstance(value, str) or not value:
            raise _fail(source, f"{where}: expected a name, got {value!r}")
    elif what == "percent":
        if value != "pp" and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
            raise _fail(source, f"{where}: expected a factor (1.0 for %) or \"pp\", got {value!r}")
        return value if value == "pp" else float(value)  # type: ignore[arg-type]
    elif what == "unit":
        if (not isinstance(value, list) or len(value) != 2 or value[0] not in DIMENSIONS
                or isinstance(value[1], bool) or not isinstance(value[1], (int, float)) or not value[1] > 0):
            raise _fail(source, f"{where}: expected [dimension, factor] with a dimension in {sorted(DIMENSIONS)}, "
                                f"got {value!r}")
        return Unit(value[0], float(value[1]))
    elif what == "name_kind":
        if value not in NAME_KINDS:
            raise _fail(source, f"{where}: expected one of {sorted(NAME_KINDS)}, got {value!r}")
    elif what == "dimension":
        if value not in DIMENSIONS:
            raise _fail(source, f"{where}: expected a dimension from {sorted(DIMENSIONS)}, got {value!r}")
    elif what == "grain":
        if value not in ASK_GRAINS:
            raise _fail(source, f"{where}: expected one of {sorted(ASK_GRAINS)}, got {value!r}")
    elif what == "noun_kind":
        if value not in NOUN_KINDS:
            raise _fail(source, f"{where}: expected one of {sorted(NOUN_KINDS)}, got {value!r}")
    elif what == "words":
        if not isinstance(value, list) or not value or not all(isinstance(w, str) and w.strip() for w in value):
            raise _fail(source, f"{where}: expected a list of words, got {value!r}")
        return tuple(value)
    elif what == "kinds":
        if not isinstance(value, list) or not value or any(k not in ASK_KINDS for k in value):
            raise _fail(source, f"{where}: expected a list of kinds from {sorted(ASK_KINDS)}, got {value!r}")
        return tuple(value)
    return value


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(str(path), f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise _fail(str(path), f"cannot be read: {exc.strerror or exc}") from None


def _merge(into: dict[str, Any], data: dict[str, Any], source: str) -> None:
    """Check one file's tables and add them to ``into`` (later files add to and override earlier)."""
    for table, content in data.items():
        if table == "language":
            continue
        if not isinstance(content, dict):
            raise _fail(source, f"{table!r} must be a table")
        if table in _WORD_TABLES:
            target = into.setdefault(table, {})
            for word, value in content.items():
                target[_check_word(source, table, word)] = _check_value(source, table, word, value, _WORD_TABLES[table])
        elif table in _LIST_TABLES:
            for key, words in content.items():
                if key not in _LIST_TABLES[table]:
                    raise _fail(source, f"[{table}] has no key {key!r} (expected {list(_LIST_TABLES[table])})")
                if not isinstance(words, list):
                    raise _fail(source, f"[{table}] {key} must be a list of words")
                into.setdefault(f"{table}.{key}", []).extend(_check_word(source, table, w) for w in words)
        elif table == "synonyms":
            groups = content.get("groups")
            if set(content) != {"groups"} or not isinstance(groups, list) or not all(
                    isinstance(g, list) and len(g) >= 2 for g in groups):
                raise _fail(source, "[synonyms] must hold groups = [[word, word, ...], ...] (two or more words each)")
            into.setdefault("synonyms.groups", []).extend(
                [_check_word(source, table, w) for w in g] for g in groups)
        elif table in ("dates", "periods"):
            keys = _DATE_KEYS if table == "dates" else _PERIOD_KEYS
            for key, value in content.items():
                if key not in keys:
                    raise _fail(source, f"[{table}] has no key {key!r} (expected {sorted(keys)})")
                _merge_date_key(into, source, f"{table}.{key}", keys[key], value)
        else:
            raise _fail(source, f"unknown table [{table}] (expected one of "
                                f"{sorted([*_WORD_TABLES, *_LIST_TABLES, 'dates', 'periods'])})")


def _merge_date_key(into: dict[str, Any], source: str, name: str, what: str, value: object) -> None:
    if what == "list":
        if not isinstance(value, list):
            raise _fail(source, f"{name} must be a list of words")
        into.setdefault(name, []).extend(_check_word(source, name, w) for w in value)
        return
    if not isinstance(value, dict):
        raise _fail(source, f"{name} must be a table")
    target = into.setdefault(name, {})
    for word, v in value.items():
        _check_word(source, name, word)
        if what == "month_map" and not (isinstance(v, int) and 1 <= v <= 12):
            raise _fail(source, f"{name} {word!r}: a month is 1-12, got {v!r}")
        if what == "int_map" and not (isinstance(v, int) and not isinstance(v, bool) and -50 <= v <= 50):
            raise _fail(source, f"{name} {word!r}: expected years from the article's year, got {v!r}")
        if what == "part_map" and not (isinstance(v, str) and _PARTS.fullmatch(v)):
            raise _fail(source, f"{name} {word!r}: expected H1, H2, Q1-Q4 or M9, got {v!r}")
        target[word] = v


def _synonym_groups(tables: dict[str, Any], source: str) -> tuple[tuple[str, ...], ...]:
    """The synonym groups, lower-cased; a word in two groups is a mistake."""
    seen: dict[str, int] = {}
    groups = []
    for i, group in enumerate(tables.get("synonyms.groups", [])):
        words = tuple(dict.fromkeys(w.lower() for w in group))
        for w in words:
            if w in seen and seen[w] != i:
                raise _fail(source, f"[synonyms] {w!r} is in two groups: {list(groups[seen[w]])} and {list(words)}")
            seen[w] = i
        groups.append(words)
    return tuple(groups)


def _check_exclusive(tables: dict[str, Any], source: str) -> None:
    seen: dict[str, str] = {}
    for table in _EXCLUSIVE:
        for word in tables.get(table, {}):
            key = word.lower() if Words._loose(word) else word
            if key in seen and seen[key] != table:
                raise _fail(source, f"{word!r} is listed in both [{seen[key]}] and [{table}]: "
                                    "a word after a number must mean one thing")
            seen[key] = table


def _build(language: str, tables: dict[str, Any], sources: tuple[str, ...]) -> Lexicon:
    _check_exclusive(tables, " + ".join(sources))
    synonyms = _synonym_groups(tables, " + ".join(sources))

    def words(name: str) -> Words:
        return Words(tables.get(name, {}))

    def phrases(name: str) -> Words:
        return Words(tables.get(name, {}), any_case=True)

    long_complements = [w for w in tables.get("complements.words", []) if len(w) != 1]
    if long_complements:
        raise _fail(" + ".join(sources), f"[complements] words must be one character each, not {long_complements}")
    framing = frozenset(tables.get("framing.modifiers", []))
    unknown = framing - set(tables.get("modifiers", {}).values())
    if unknown:
        raise _fail(" + ".join(sources), f"[framing] modifiers names {sorted(unknown)}, which no [modifiers] word means")

    magnitudes = tables.get("magnitudes", {})
    missing = [w for w in tables.get("scales.words", []) if w not in magnitudes]
    if missing:
        raise _fail(" + ".join(sources), f"[scales] words {missing} are not words of [magnitudes]")
    scales = tuple(sorted(((w, magnitudes[w]) for w in dict.fromkeys(tables.get("scales.words", []))),
                          key=lambda ws: ws[1]))

    return Lexicon(
        language=language,
        hedge_before=phrases("hedge_before"), hedge_after_number=phrases("hedge_after_number"),
        hedge_after_unit=phrases("hedge_after_unit"), magnitudes=words("magnitudes"),
        hedge_before_magnitude=phrases("hedge_before_magnitude"),
        currency_prefix=words("currency_prefix"), currency_suffix=words("currency_suffix"),
        percent_prefix=words("percent_prefix"), percent_suffix=words("percent_suffix"),
        multiplier=words("multiplier"), units=words("units"), unit_before=words("unit_before"),
        durations=words("durations"),
        counters=words("counters"), not_counters=frozenset(tables.get("not_counters.words", [])),
        not_hedges=Words(tables.get("not_hedges.words", []), any_case=True),
        not_units=Words(tables.get("not_units.words", [])),
        contrasts=frozenset(frozenset(p) for p in tables.get("contrasts.pairs", []) if len(set(p)) == 2),
        numeral_words=Words(tables.get("numeral_words.words", [])),
        vague_before=Words(tables.get("vague_before.words", []), any_case=True),
        modifiers=phrases("modifiers"), framing=framing, ordinals=phrases("ordinals"), change_words=Words(tables.get("change.words", []), any_case=True),
        change_to=Words(tables.get("change.to_words", []), any_case=True),
        months=Words(tables.get("dates.months", {})), bc=Words(tables.get("dates.bc", [])),
        decade=Words(tables.get("dates.decade", [])), year_before=Words(tables.get("dates.year_before", []), any_case=True),
        relative_year=Words(tables.get("periods.relative_year", {}), any_case=True),
        period_parts=Words(tables.get("periods.part", {}), any_case=True),
        as_of=Words(tables.get("periods.as_of", []), any_case=True),
        update=Words(tables.get("periods.update", []), any_case=True),
        baseline=Words(tables.get("periods.baseline", []), any_case=True), question_kinds=phrases("question_kinds"),
        question_grains=phrases("question_grains"), asked_nouns=phrases("asked_nouns"),
        asked_words=phrases("asked_words"), dimension_nouns=phrases("dimension_nouns"), name_words=phrases("name_words"),
        share_between=Words(tables.get("shares.between", [])), share_of_total=Words(tables.get("shares.of_total", [])),
        share_whole_first=Words(tables.get("shares.whole_first", [])),
        share_of_whole=Words(tables.get("shares.of_whole", []), any_case=True),
        share_part_after=Words(tables.get("shares.part_after", []), any_case=True),
        question_words=frozenset(tables.get("question_words.words", [])),
        name_titles=frozenset(tables.get("name_titles.words", [])), negations=frozenset(tables.get("negations.words", [])),
        complements=frozenset(tables.get("complements.words", [])),
        abbreviations=frozenset(w.lower() for w in tables.get("sentences.abbreviations", [])),
        final_abbreviations=frozenset(w.lower() for w in tables.get("sentences.final_abbreviations", [])),
        synonyms=synonyms, scales=scales, sources=sources,
    )


_lock = threading.Lock()
_cache: dict[str, Lexicon] = {}
_user_files: list[Path] = []


def _user_paths() -> list[Path]:
    env = os.environ.get("FACTCHECK_LEXICON", "")
    return [Path(p) for p in env.split(os.pathsep) if p] + list(_user_files)


def lexicon(language: str) -> Lexicon:
    """The vocabulary of ``language`` (``zh`` or ``en``), loaded and checked once."""
    if language not in LANGUAGES:
        raise LexiconError(f"no lexicon for language {language!r} (have {', '.join(LANGUAGES)})")
    with _lock:
        found = _cache.get(language)
        if found is None:
            found = _cache[language] = _load(language)
        return found


def _load(language: str) -> Lexicon:
    tables: dict[str, Any] = {}
    sources = []
    for path in (HERE / "common.toml", HERE / f"{language}.toml"):
        _merge(tables, _read(path), path.name)
        sources.append(path.name)
    for path in _user_paths():
        data = _read(path)
        lang = data.get("language")
        if lang not in (*LANGUAGES, "common"):
            raise _fail(str(path), f"a user lexicon must say language = \"zh\", \"en\" or \"common\", got {lang!r}")
        if lang in (language, "common"):
            _merge(tables, data, str(path))
            sources.append(str(path))
    return _build(language, tables, tuple(sources))


def extend_lexicon(path: str | Path) -> None:
    """Add a user vocabulary file (same tables as ``lexicon/zh.toml``, plus ``language = "zh"``).

    The file is checked at once; a mistake raises :class:`LexiconError` and changes nothing.

    Example::

        # my-units.toml
        language = "zh"
        [units]
        "里" = ["length", 500.0]
    """
    path = Path(path)
    data = _read(path)
    lang = data.get("language")
    if lang not in (*LANGUAGES, "common"):
        raise _fail(str(path), f"a user lexicon must say language = \"zh\", \"en\" or \"common\", got {lang!r}")
    with _lock:
        for language in LANGUAGES:  # check against each language before keeping it
            if lang in (language, "common"):
                tables: dict[str, Any] = {}
                sources = []
                for base in (HERE / "common.toml", HERE / f"{language}.toml", *_user_paths(), path):
                    base_data = _read(base)
                    if base.parent == HERE or base_data.get("language") in (language, "common"):
                        _merge(tables, base_data, str(base))
                        sources.append(base.name if base.parent == HERE else str(base))
                _build(language, tables, tuple(sources))
        _user_files.append(path)
        _cache.clear()


def reset_lexicons() -> None:
    """Forget user files added by :func:`extend_lexicon` and reload from disk on next use."""
    with _lock:
        _user_files.clear()
        _cache.clear()
