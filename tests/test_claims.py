"""The claim parser: numbers, units, hedges, signs, periods and quantities, in both scripts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.claims import (
    Claim,
    chinese_number,
    claims_in_sentence,
    extract_claims,
    find_periods,
    parse_values,
    periods_match,
)
from index.text import fold
from retriever.check import QuestionFrame, check_claims, group_values


def one(text: str):
    values = parse_values(text)
    assert len(values) == 1, values
    return values[0]


@pytest.mark.parametrize(
    "text, value, unit",
    [
        ("收入3.124亿元", 3.124e8, "CNY"),
        ("收入3.124億元", 3.124e8, "CNY"),
        ("虧損 23.58 億元", 23.58e8, "CNY"),
        ("5740万元", 5740e4, "CNY"),
        ("5740萬元", 5740e4, "CNY"),
        ("4.2万亿", 4.2e12, ""),
        ("募资43亿港元", 43e8, "HKD"),
        ("约5.6亿美元", 5.6e8, "USD"),
        ("累计融资超83亿元人民币", 83e8, "CNY"),
        ("市场份额为6.6%", 6.6, "%"),
        ("超 7 成", 70.0, "%"),
        ("认购910倍", 910.0, "x"),
        ("1159.46 倍", 1159.46, "x"),
        ("12000家企业客户", 12000.0, "count"),
        ("1.2 萬家", 12000.0, "count"),
        ("657 人", 657.0, "count"),
        ("8000萬臺終端設備", 8000e4, "count"),
        ("50多个模型", 50.0, "count"),
        ("下载量超过4500万次", 4500e4, "count"),
        ("40多款主流硬件芯片", 40.0, "count"),
        ("完成了8轮融资", 8.0, "count"),
        ("两个月", 2.0, "month"),
        ("3個月內", 3.0, "month"),
        ("上线半年即实现", 6.0, "month"),
        ("三天", 3.0, "day"),
        ("48小时内", 48.0, "hour"),
    ],
)
def test_values_units_and_scripts(text, value, unit):
    v = one(text)
    assert v.value == pytest.approx(value)
    assert v.unit == unit
    assert v.low <= v.value <= v.high


@pytest.mark.parametrize(
    "text, hedge",
    [("约70%", "约"), ("近44亿元", "近"), ("超过130%", "超过"), ("超240亿元", "超"), ("逾8000万台", "逾"),
     ("1000余人", "余"), ("50多个", "多"), ("50%以上", "以上"), ("9个月左右", "左右"), ("不到三个月", "不到"),
     ("約 25.52 億元", "约")],
)
def test_hedges(text, hedge):
    assert one(text).hedge == hedge


def test_sign():
    assert one("云端部署为负 0.4%").value == pytest.approx(-0.4)
    assert one("毛利率为-0.4%").value == pytest.approx(-0.4)


@pytest.mark.parametrize("text, value", [("两", 2), ("十二", 12), ("三百五十", 350), ("一万", 10000), ("十", 10), ("六", 6)])
def test_chinese_numerals(text, value):
    assert chinese_number(text) == value


def test_years_and_dates_are_periods_not_values():
    assert parse_values("2024年收入") == []
    assert parse_values("12月19日披露") == []
    labels = [p.label for p in find_periods("2022年、2023年和2025年上半年", None)]
    assert labels == ["2022", "2023", "2025H1"]


@pytest.mark.parametrize(
    "text, date, label",
    [
        ("今 (8) 日在港股上市", "2026-01-08", "2026-01-08"),
        ("今年上半年营收", "2025-12-19", "2025H1"),
        ("去年上半年達 15.947 億元", "2026-01-08", "2025H1"),
        ("去年營收不過 3.12 億元", "2025-12-19", "2024"),
        ("截至去年第三季", "2026-01-08", "2025Q3"),
        ("截至2025年6月", None, "2025-06"),
        ("1月5日结束招股", "2026-01-08", "2026-01-05"),
        ("2022 年至 2024 年", None, "2022-2024"),
    ],
)
def test_relative_and_absolute_periods(text, date, label):
    assert label in [p.label for p in find_periods(text, date)]


def test_quarter_end_and_month_are_the_same_time():
    assert periods_match("2025Q3", "2025-09")
    assert periods_match("2025-06-30", "2025-06")
    assert not periods_match("2025H1", "2024")


def test_claims_know_what_they_measure_and_when():
    found = claims_in_sentence("过去三年,智谱经调整净亏损分别为0.97亿、6.21亿以及24.66亿元。", "2026-01-08")
    assert [(c[1], c[3]) for c in found] == [("adjusted_net_loss", "2022"), ("adjusted_net_loss", "2023"),
                                              ("adjusted_net_loss", "2024")]
    found = claims_in_sentence("以 1159.46 倍的香港公開發售倍數、15.28 倍的國際發售認購倍數", "2026-01-08")
    assert [(c[0].value, c[1], sorted(c[2])) for c in found] == [(1159.46, "oversubscription", ["hk"]),
                                                                 (15.28, "oversubscription", ["intl"])]
    found = claims_in_sentence("截至2025年9月,拥有机构客户超1.2万家,开发者超4500万,终端设备部署超8000万台。", None)
    assert [c[1] for c in found] == ["customers", "developers", "devices"]


def test_extract_claims_spans_point_into_the_original_text():
    text = "今年上半年，智譜營收不過 1.90 億元，但凈虧損卻達 23.58 億元。"
    claims = extract_claims("d", [(7, 100, 100 + len(text), text)], "2025-12-19")
    assert [c.quantity for c in claims] == ["revenue", "net_loss"]
    for c in claims:
        assert text[c.start - 100:c.end - 100] == c.text
        assert c.period == "2025H1"


def _claim(doc: str, text: str, date: str = "2026-01-01") -> Claim:
    v = one(text)
    return Claim(0, doc, 0, 0, len(text), text, v.value, v.unit, v.counter, v.hedge, v.low, v.high,
                 "q", (), "", date)


def _verdict(*texts: str) -> str:
    claims = [_claim(f"d{i}", t) for i, t in enumerate(texts)]
    result = check_claims(QuestionFrame("q", frozenset(), "", ""), claims)
    assert result is not None
    return result.verdict


@pytest.mark.parametrize(
    "a, b, verdict",
    [
        ("3.12亿元", "3.124亿元", "consistent"),      # rounding
        ("1.90亿元", "1.91亿元", "consistent"),        # truncation of 1.909
        ("超过130%", "130%", "consistent"),            # hedge
        ("约70%", "70.7%", "consistent"),              # hedge
        ("超240亿元", "243.77亿元", "consistent"),     # hedge
        ("23.58亿元", "17.52亿元", "conflict"),
        ("1159.46倍", "910倍", "conflict"),
        ("超240亿元", "230亿元", "conflict"),
        ("约243.77亿元", "260亿元", "conflict"),       # a precise figure "about" is not ±8 %
        ("两个月", "3个月", "conflict"),
        ("超过12000家", "超 8000 家", "conflict"),
    ],
)
def test_interval_comparison(a, b, verdict):
    assert _verdict(a, b) == verdict


def test_single_source_and_different_periods():
    assert _verdict("3.124亿元") == "single_source"
    a, b = _claim("a", "84.5%"), _claim("b", "84.8%")
    a = Claim(**{**a.__dict__, "period": "2024"})
    b = Claim(**{**b.__dict__, "period": "2025H1"})
    frame = QuestionFrame("q", frozenset(), "2024", "")
    result = check_claims(frame, [a, b])
    assert result is not None and result.verdict == "single_source" and [c.doc_id for c in result.claims] == ["a"]


def test_group_values_keeps_currencies_apart():
    groups = group_values([_claim("a", "43亿港元"), _claim("b", "约5.6亿美元")])
    assert len(groups) == 2


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_parser_never_raises_on_arbitrary_text(text):
    for v in parse_values(text):
        assert v.low <= v.high
    find_periods(text, "2026-01-08")
    claims_in_sentence(text, "2026-01-08")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789.,约近超过逾余多以上左右不到负-%倍亿万千元港美家人台个次款轮年月日上半今去(8)季第一二两三十百 ", max_size=80))
def test_parser_never_raises_on_number_soup(text):
    for v in parse_values(text):
        assert v.low <= v.high
        assert fold(text)[v.start:v.end] == v.text  # spans are spans of the (same-length) folded text
    claims_in_sentence(text, "2025-12-19")
