"""Reading values: every case of tests/data/values_<lang>.toml, intervals, the lexicon, hostile text."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.values import (Hedge, LexiconError, ValueKind, extend_lexicon, interval, number_terms, parse_values,
                          reset_lexicons, strip_invisible)
from index.text import fold, lexical_terms

DATA = Path(__file__).parent / "data"
DATE = "2026-01-08"


def _cases(lang: str) -> list[dict]:
    with open(DATA / f"values_{lang}.toml", "rb") as handle:
        return tomllib.load(handle)["case"]


def _nones(lang: str) -> list[str]:
    with open(DATA / f"values_{lang}.toml", "rb") as handle:
        return tomllib.load(handle)["none"]["texts"]


@pytest.mark.parametrize("case", _cases("zh") + _cases("en"), ids=lambda c: c["text"])
def test_each_case_reads_its_values(case):
    found = parse_values(case["text"], DATE)
    assert [v.text for v in found] == [e["text"] for e in case["values"]]
    for v, expected in zip(found, case["values"]):
        assert v.kind.value == expected["kind"], v
        assert v.unit == expected["unit"], v
        assert v.number == pytest.approx(expected["number"], rel=1e-6), v
        assert v.hedge.value == expected.get("hedge", ""), v
        assert v.label == expected.get("label", ""), v
        assert v.low <= v.number + 1e-9 or v.kind is ValueKind.DATE or expected.get("hedge") in ("under",)
        assert case["text"][v.start:v.end] == v.text  # spans point into the text as given


@pytest.mark.parametrize("text", _nones("zh") + _nones("en"))
def test_names_codes_and_ordinals_are_no_values(text):
    assert parse_values(text, DATE) == []


def test_invisible_characters_inside_a_number_are_skipped_and_spans_stay_exact():
    text = "营收3\u200b5亿元,增长1\u200d2%"
    values = parse_values(text)
    assert [v.number for v in values] == [35e8, 12.0]
    assert [text[v.start:v.end] for v in values] == ["3\u200b5亿元", "1\u200d2%"]


def test_a_template_bracket_around_a_figure_is_skipped_and_spans_stay_exact():
    text = "计划发行【3741.95】万股H股,其中公开发售【１８７.1】万股;见【附注】,文献[3]"
    values = parse_values(text)
    assert [(v.number, v.unit) for v in values] == [(3741.95e4, "share"), (187.1e4, "share")]
    assert [text[v.start:v.end] for v in values] == ["3741.95】万股", "１８７.1】万股"]


@pytest.mark.parametrize("text, written, minutes", [
    ("成绩为2小时08分17秒", "2小时08分17秒", 128.28),
    ("比賽打了3小時47分鐘", "3小時47分鐘", 226.97),
    ("finished in 2 hours 8 minutes 17 seconds", "2 hours 8 minutes 17 seconds", 128.28),
    ("工期1年零3个月", "1年零3个月", (365.25 + 3 * 30.4375) * 1440),
])
def test_the_parts_of_one_span_of_time_are_one_duration(text, written, minutes):
    [v] = parse_values(text)
    assert (v.kind, v.text) == (ValueKind.DURATION, written)
    assert v.number * 1440 == pytest.approx(minutes, rel=1e-3)


def test_a_joined_duration_is_as_precise_as_its_last_part_and_hedged_as_its_first():
    exact, about = parse_values("2小时08分17秒")[0], parse_values("约为2小时08分")[0]
    assert exact.overlaps(about) and about.hedge is Hedge.ABOUT
    assert not exact.overlaps(parse_values("2小时10分")[0])
    # parts out of order or apart are separate values: "8分钟跑了2小时", "3小时，得了8分"
    assert len(parse_values("他8分钟跑了2小时")) == 2 and len(parse_values("3小时，比赛得了8分")) == 2


def test_both_scripts_and_full_width_read_alike():
    a, b, c = (parse_values(t)[0] for t in ("23.58亿元", "23.58億元", "２３．５８億元"))
    assert a.number == b.number == c.number == pytest.approx(23.58e8)
    assert a.unit == b.unit == c.unit == "CNY"


# ----------------------------------------------------------------------------- intervals


@pytest.mark.parametrize("a, b, same", [
    ("3.12亿元", "3.124亿元", True),        # the precision written
    ("1.90亿元", "1.91亿元", True),         # truncation
    ("超过130%", "130%", True),
    ("约70%", "70.7%", True),
    ("超240亿元", "243.77亿元", True),
    ("约243.77亿元", "260亿元", False),      # "about" follows the written precision
    ("23.58亿元", "17.52亿元", False),
    ("1.2万家", "12000家", True),
    ("近1,800米", "1,750米", True),
    ("over 180 people", "184 people", True),
    ("nearly $1.6 million", "$1.57 million", True),
    ("12,437 people", "more than 12,000 people", True),
    ("37 people", "52 people", False),
    ("1905年3月", "1905年", True),
    ("1908年", "1905年", False),
    ("about 1939", "1939", True),
    ("June 24, 2011", "24 June 2011", True),
    ("2005年3月20日", "2005年3月", True),
])
def test_intervals_overlap_when_the_values_can_be_the_same(a, b, same):
    va, vb = parse_values(a, DATE)[0], parse_values(b, DATE)[0]
    assert va.overlaps(vb) is same, (va, vb)


def test_hedges_widen_in_their_direction():
    low, high = interval(100.0, 1.0, Hedge.OVER)
    assert low == pytest.approx(99.8) and high >= 125
    low, high = interval(100.0, 1.0, Hedge.NEARLY)
    assert low <= 85 and high == pytest.approx(100.69, abs=0.01)
    low, high = interval(100.0, 1.0, Hedge.UNDER)
    assert high <= 100.2 and low <= 70


def test_months_without_a_year_compare_by_month_and_day():
    # "5月20日" read in articles of different dates guesses different years; they are still one date
    a = parse_values("5月20日", "2025-02-12")[0]
    b = parse_values("5月", "2025-04-08")[0]
    assert a.year_inferred and b.year_inferred and a.overlaps(b)
    assert not a.overlaps(parse_values("6月", "2025-04-08")[0])


# ----------------------------------------------------------------------------- the lexicon


def _user_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_a_user_adds_a_unit_in_one_file(tmp_path):
    assert parse_values("走了三百里路") == []
    try:
        extend_lexicon(_user_file(tmp_path, """
            language = "zh"
            [units]
            "里" = ["length", 500.0]
        """))
        value = parse_values("走了三百里路")[0]
        assert (value.kind, value.unit, value.number) == (ValueKind.MEASURE, "length", 150000.0)
    finally:
        reset_lexicons()


@pytest.mark.parametrize("body, message", [
    ('language = "zh"\n[units]\n"里" = ["lenght", 500.0]\n', "dimension"),
    ('language = "zh"\n[hedge_before]\n"大概是" = "roughly"\n', "hedge kind"),
    ('language = "zh"\n[counters]\n"米" = "thing"\n', "listed in both"),
    ('language = "zh"\n[colours]\n"红" = "red"\n', "unknown table"),
    ('language = "en"\n[asked_words]\n"how deep" = "depth"\n', "list of words"),
    ('language = "zh"\n[complements]\nwords = ["掉了"]\n', "one character"),
    ('language = "en"\n[name_words]\n"Guild" = "club"\n', "organisation"),
    ('language = "fr"\n', "language"),
    ('language = "zh"\n[units\n', "not valid TOML"),
])
def test_a_mistake_in_a_vocabulary_file_fails_at_once_naming_it(tmp_path, body, message):
    path = _user_file(tmp_path, body)
    with pytest.raises(LexiconError, match=message) as info:
        extend_lexicon(path)
    assert "mine.toml" in str(info.value)
    assert parse_values("5642米")[0].unit == "length"  # nothing was changed
    reset_lexicons()


# ----------------------------------------------------------------------------- hostile text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,%万亿元年月日约超过 -–至零一二三四五六七八九十百千两個个人\u200b$bnmk"
                                             "about over million percent ")), max_size=80))
def test_never_raises_and_spans_are_exact(text):
    for v in parse_values(text, DATE):
        assert text[v.start:v.end] == v.text
        assert v.low <= v.high


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_never_raises(text):
    for v in parse_values(text):
        assert text[v.start:v.end] == v.text


PATHOLOGICAL = ('" " * 20000', '"1" * 20000', '"万" * 20000', '"1." * 10000', '"约 " * 8000', '"1, " * 8000',
                '"一九" * 10000', '"$1 " * 6000', '"1至" * 8000', '"of " * 8000 + "1"', '"1-" * 10000', '"3个" * 8000')


def test_reading_is_linear_on_pathological_text():
    """Every reader stays near-linear: 20,000-character runs of spaces, digits, 万, "1." and the like
    read in a few seconds at most each (a backtracking pattern takes minutes). Run in a subprocess
    so a regression fails instead of hanging the suite."""
    script = textwrap.dedent(f"""
        import time
        from index.values import parse_values
        worst = 0.0
        for text in ({", ".join(PATHOLOGICAL)},):
            started = time.perf_counter()
            parse_values(text)
            worst = max(worst, time.perf_counter() - started)
        print(worst)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) < 20, f"slowest pathological text took {result.stdout.strip()} s"


def test_a_magnitude_written_with_no_number_after_a_hedging_word_is_one_of_it():
    from index.values import parse_values

    found = [(v.text, v.number, v.kind.value, v.hedge.value) for v in parse_values("年收入快速破亿，用户数过万人")]
    assert found == [("破亿", 1e8, "number", "over"), ("过万人", 1e4, "count", "over")]
    revenue = parse_values("上線半年即實現過億年度經常性收入")
    assert [(v.text, v.kind.value) for v in revenue] == [("半年", "duration"), ("過億", "number")]  # not 1e8 years
    assert parse_values("营收亿元级别") == [] and parse_values("经过亿万年") == []  # no word before: no value


# ----------------------------------------------------------------------------- numbers as lexical terms


@pytest.mark.parametrize("text, terms", [
    ("By 1879 it had grown to ten thousand volumes", ["10000"]),
    ("it reached 10,000 books", ["10000"]),
    ("藏书达一万册", ["10000"]),
    ("藏書達1萬冊", ["10000"]),
    ("sales of 2.5 million units", ["2500000"]),
    ("销量250万台", ["2500000"]),
    ("全长三百五十公里", ["350"]),
    ("from 3,000 to 5,000 people", ["3000", "5000"]),
    ("3\u200b5亿元", ["3500000000"]),
    ("每股116.20港元", ["116.2"]),
    # already one token as written, or too small to tell passages apart: nothing added
    ("10000 people in 1879, 2.5%", []),
    ("one of the three boats", []),
    ("哪一天上市", []),
    ("the XR-4500 model", []),
    # the magnitude word read with its number is not read again alone ("thousand" is no 1000 here)
    ("3.5 thousand people", ["3500"]),
    ("some 10 thousand volumes", ["10000"]),
    # "m" after money is millions, as parse_values reads it ("$300m" is "$300 million")
    ("raised $300m in cash", ["300000000"]),
    ("ran 300m", []),
    # a sentence mostly in one language writing a number the other's way: both readers' numbers count
    ("The company sold 250万 units in 2024", ["2500000"]),
    ("Did the group raise 1.5亿元 in its listing?", ["150000000"]),
    ("公司当年卖出了 2.5 million 台设备", ["2500000"]),
    ("藏书达一万册，约 10,000 volumes", ["10000", "10000"]),  # each writing once, not twice
])
def test_a_number_not_written_as_its_digits_is_one_term_of_them(text, terms):
    found = number_terms(text)
    assert [n.term for n in found] == terms
    clean = fold(strip_invisible(text)[0])
    assert all(clean[n.start:n.end] == n.written for n in found)


def test_one_number_gives_one_term_however_it_is_written():
    writings = ["ten thousand volumes", "10,000 volumes", "一万册", "1萬冊", "10000 volumes"]
    assert all("10000" in lexical_terms(w) for w in writings)


@pytest.mark.parametrize("text, gone, kept", [
    ("it reached 10,000 books", ["10", "000"], ["reach", "book", "10000"]),
    ("ten thousand volumes", ["ten", "thousand"], ["volum", "10000"]),
    ("香港公开发售187.1万股H股", ["187.1"], ["万股", "1871000"]),
    ("sales of 2.5 million units", ["2.5"], ["million", "unit", "2500000"]),
    ("全长三百五十公里", ["三百", "五十"], ["公里", "350"]),
])
def test_the_pieces_a_number_was_written_in_give_way_to_its_term(text, gone, kept):
    # a chunk is no longer for its numbers (BM25 weighs a term by the chunk's length); the words
    # around a number stay
    terms = lexical_terms(text)
    assert not set(gone) & set(terms)
    assert all(k in terms for k in kept)


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_number_terms_never_raise(text):
    assert all(n.term and n.term.replace(".", "").lstrip("-").isdigit() for n in number_terms(text))


def test_number_words_too_large_for_a_float_are_no_number(caplog):
    # "hundred hundred …" multiplies past any float: that piece is no number, and the sentence's
    # other numbers are still read (it raised OverflowError, which dropped them all)
    text = "Some ten thousand people came. " + "hundred " * 200
    with caplog.at_level(logging.ERROR):
        assert [n.term for n in number_terms(text)] == ["10000"]
        assert [v.number for v in parse_values(text)] == [10000.0]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
