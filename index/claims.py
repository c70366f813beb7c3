"""Structured claims: the numbers a sentence states, what they measure and when.

A :class:`Claim` is one value in one sentence: its exact span, the value as
an interval (precision and hedges widen it), the unit, the quantity it
measures (``net_loss``, ``revenue``, ``valuation``...), qualifiers that make
it a different measure (``adjusted``, ``onprem``, ``hk``...) and the period or
as-of date it refers to (``2024``, ``2025H1``, ``2025-06``...), resolving
relative dates (今年, 去年, 今(8)日) with the article's date.

Everything works on :func:`index.text.fold` output, which has the same length
as the original text, so spans found there are spans in the original. The
parser never raises on any input: unparseable pieces are simply skipped.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

from .text import fold

# ----------------------------------------------------------------------------- numbers

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_MAGNITUDE = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3}

_HEDGE_BEFORE = r"约为|大约|约|接近|将近|近|超过|超出|超|逾|不到|不足|至少|突破|破"
_HEDGE_AFTER_NUM = r"余|多"
_HEDGE_AFTER_UNIT = r"以上|左右|之多|多"
_CURRENCY = r"亿元人民币|万元人民币|元人民币|人民币|港元|港币|美元|元"
_COUNTERS = r"家|人|台|个|次|款|轮|名|颗|篇|项|位|股|种|条"
_DURATION = r"个多月|个月|个季度|小时|周|天|年"
_UNIT = rf"(?P<unit>%|倍|成|{_CURRENCY}|{_DURATION}|{_COUNTERS})"

_NUMBER = re.compile(
    rf"(?P<hedge>{_HEDGE_BEFORE})?\s*"
    r"(?P<sign>负|-|−)?\s*"
    r"(?P<num>\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"
    r"\s*(?P<mag>万亿|亿|万|千(?![米克瓦]))?"
    rf"\s*(?P<after>{_HEDGE_AFTER_NUM})?"
    rf"\s*{_UNIT}?"
    rf"(?P<post>{_HEDGE_AFTER_UNIT})?"
)

# A value's interval is widened by its hedge: "about" ±8 %, "over" up to +25 %,
# "nearly"/"under" down to -15 %/-30 %. A small relative slack (0.5 %) absorbs
# truncation (1.909 written as 1.90) without hiding real differences.
_APPROX = 0.08
_OVER = 0.25
_SLACK = 0.002
_HEDGE_KIND = {
    "约": "approx", "约为": "approx", "大约": "approx", "左右": "approx",
    "近": "nearly", "接近": "nearly", "将近": "nearly",
    "超": "over", "超过": "over", "超出": "over", "逾": "over", "以上": "over", "之多": "over",
    "至少": "over", "突破": "over", "破": "over", "余": "over", "多": "over",
    "不到": "under", "不足": "under", "不够": "over",
}


def chinese_number(text: str) -> float | None:
    """Value of a Chinese numeral such as 两, 十二, 三百五十, 一万; None if it is not one."""
    if not text or any(c not in _CN_DIGITS and c not in _CN_UNITS and c not in "万亿" for c in text):
        return None
    total, section, digit = 0.0, 0.0, None
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            section += (digit if digit is not None else 1) * _CN_UNITS[c]
            digit = None
        else:  # 万 / 亿 close a section
            section += digit or 0
            total += section * (1e4 if c == "万" else 1e8)
            section, digit = 0.0, None
    return total + section + (digit or 0)


@dataclass(frozen=True)
class Value:
    """A number as written in a text, with its unit, hedge and interval."""

    start: int
    end: int
    text: str
    value: float
    unit: str  # CNY HKD USD % x count month day year hour week quarter or ""
    counter: str
    hedge: str
    hedge_kind: str
    low: float
    high: float


def _unit_of(raw: str) -> tuple[str, str, float]:
    """``(unit, counter, factor)`` for a unit word as written (folded)."""
    if not raw:
        return "", "", 1.0
    if raw == "%":
        return "%", "", 1.0
    if raw == "成":
        return "%", "", 10.0
    if raw == "倍":
        return "x", "", 1.0
    if raw in ("港元", "港币"):
        return "HKD", "", 1.0
    if raw == "美元":
        return "USD", "", 1.0
    if raw.endswith("元") or raw.endswith("人民币"):
        factor = 1e8 if raw.startswith("亿") else 1e4 if raw.startswith("万") else 1.0
        return "CNY", "", factor
    if raw in ("个月", "个多月"):
        return "month", "", 1.0
    if raw == "个季度":
        return "quarter", "", 1.0
    if raw in ("天",):
        return "day", "", 1.0
    if raw == "年":
        return "year", "", 1.0
    if raw == "小时":
        return "hour", "", 1.0
    if raw == "周":
        return "week", "", 1.0
    return "count", raw, 1.0


def _decimals(num: str) -> int:
    return len(num.split(".", 1)[1]) if "." in num else 0


def parse_values(text: str) -> list[Value]:
    """Every number with a unit, magnitude or hedge in ``text`` (either script).

    Years (2024年) and calendar dates are left to :func:`find_periods`.
    Never raises.
    """
    try:
        return list(_parse_values(fold(text)))
    except Exception:  # noqa: BLE001 - a parser for arbitrary text must not raise
        return []


_HALF_YEAR = re.compile(r"(?<![上下前后])半年")


def _parse_values(folded: str) -> Iterable[Value]:
    values = list(_raw_values(folded))
    # "0.97亿、6.21亿以及24.66亿元": a magnitude without a unit takes the unit of
    # the next value of its list.
    for i, v in enumerate(values):
        if v.unit:
            continue
        for w in values[i + 1:]:
            gap = folded[v.end:w.start]
            if w.unit and len(gap) <= 12 and not _CLAUSE_BREAK.search(gap.replace("、", "")):
                factor = 1.0
                values[i] = Value(v.start, v.end, v.text, v.value * factor, w.unit, w.counter, v.hedge,
                                  v.hedge_kind, v.low, v.high)
                break
    for m in _HALF_YEAR.finditer(folded):
        values.append(Value(m.start(), m.end(), m.group(0), 6.0, "month", "", "", "", 5.5, 6.5))
    return sorted(values, key=lambda v: v.start)


def _raw_values(folded: str) -> Iterable[Value]:
    for m in _NUMBER.finditer(folded):
        num, unit_raw, mag = m.group("num"), m.group("unit") or "", m.group("mag") or ""
        if num.isdigit() or "." in num or "," in num:
            value = float(num.replace(",", ""))
            step = 10.0 ** -_decimals(num)
        else:
            parsed = chinese_number(num)
            if parsed is None or (parsed == 1 and not mag):
                continue  # "一位", "一轮": an article, not a count
            value, step = parsed, 1.0
        # Calendar pieces are periods, not values: 2024年, 12月, 19日, 1月8日.
        after = folded[m.end("num"):m.end("num") + 2].lstrip()
        if not mag and not unit_raw and after[:1] in ("年", "月", "日", "号", "季"):
            continue
        if unit_raw == "年" and not mag and (1900 <= value <= 2100 or not m.group("hedge") and num.isdigit() and len(num) == 4):
            continue
        if not unit_raw and not mag and not m.group("hedge"):
            continue  # a bare number: a code, a model name, an ordinal
        if not unit_raw and not mag:
            continue
        unit, counter, factor = _unit_of(unit_raw)
        scale = _MAGNITUDE.get(mag, 1.0) * factor
        value *= scale
        step *= scale
        if m.group("sign"):
            value = -value
        hedge_words = [h for h in (m.group("hedge"), m.group("after"), m.group("post")) if h]
        tail = folded[m.end():m.end() + 4].lstrip()
        if tail.startswith(("还不够", "不够", "还不足")):
            hedge_words.append("不够")  # "3.12亿元还不够一个月的花销": more than that
        kinds = [_HEDGE_KIND[h] for h in hedge_words]
        kind = kinds[0] if kinds else ""
        low, high = _interval(value, step, kind, num)
        start = m.start("hedge") if m.group("hedge") else (m.start("sign") if m.group("sign") else m.start("num"))
        end = m.end()
        yield Value(start, end, folded[start:end], value, unit, counter, "".join(hedge_words), kind, low, high)


def _interval(value: float, step: float, kind: str, num: str) -> tuple[float, float]:
    half = step * 0.49  # "2" and "3" must not touch
    size = abs(value)
    low, high = value - half - _SLACK * size, value + half + _SLACK * size
    if kind == "approx":
        # "约70%" may be 70.7%, "约243.77亿" is not 260亿: the tolerance follows the precision written
        spread = min(_APPROX * size, max(0.02 * size, 3 * step))
        low, high = min(low, value - spread), max(high, value + spread)
    elif kind == "nearly":
        low = min(low, value - 0.15 * size)
    elif kind == "over":
        if num.isdigit() and not num.endswith("0") or "." in num:
            high = max(high, value + _OVER * size)
        else:  # "50多", "1000余": up to the next leading-digit step
            magnitude = 10 ** max(0, math.floor(math.log10(max(abs(float(num.replace(",", "")) if num[0].isdigit() else 1), 1))))
            high = max(high, value + _OVER * size, value + magnitude * (step if step >= 1 else 1))
        low = value - _SLACK * size
    elif kind == "under":
        low = min(low, value - 0.3 * size)
    return low, high


# ----------------------------------------------------------------------------- periods

_QUARTER_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PERIOD = re.compile(
    r"(?P<asof>截至|截止|截止到|到)?\s*"
    r"(?:(?P<year>(?:19|20)\d{2})\s*年|(?P<rel>今年|去年|前年|明年|本年))"
    r"(?:\s*(?:(?P<half>上半年|下半年|前半年|头六个月|前六个月|首六个月|1\s*(?:至|到|-|–)\s*6\s*月|前\s*9\s*月|前九个月)|第(?P<q>[一二三四1234])\s*季度?|(?P<month>\d{1,2})\s*月(?:\s*(?P<day>\d{1,2})\s*日)?(?P<end>底|末)?))?"
)
_RANGE = re.compile(r"(?P<a>(?:19|20)\d{2})\s*(?:年)?\s*(?:至|到|-|–|—|~)\s*(?P<b>(?:19|20)\d{2})\s*年")
_PAST_YEARS = re.compile(r"过去(?P<n>[两二三四五]|\d)年")
_BARE_HALF = re.compile(r"(?<![年\d])(?P<half>上半年|下半年)")
_MONTH_DAY = re.compile(r"(?<![\d年])(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日")
_TODAY = re.compile(r"今\s*[(（]\s*(?P<day>\d{1,2})\s*[)）]\s*日")


@dataclass(frozen=True)
class Period:
    """A period or date mentioned in a text: ``label`` like 2024, 2025H1, 2025Q3, 2025-06, 2026-01-08."""

    start: int
    end: int
    label: str
    kind: str  # year, half, quarter, month, day, range
    asof: bool = False  # "截至2025年": a stock at that date


def _article_year(article_date: str | None) -> int | None:
    try:
        return int(str(article_date)[:4]) if article_date else None
    except ValueError:
        return None


def find_periods(text: str, article_date: str | None = None) -> list[Period]:
    """Periods and dates in ``text`` with their spans; relative ones resolved with ``article_date``."""
    try:
        return _find_periods(fold(text), article_date)
    except Exception:  # noqa: BLE001
        return []


def _find_periods(folded: str, article_date: str | None) -> list[Period]:
    year_now = _article_year(article_date)
    month_now = int(article_date[5:7]) if article_date and len(article_date) >= 7 and article_date[5:7].isdigit() else None
    found: list[Period] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, label: str, kind: str, asof: bool = False) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(Period(start, end, label, kind, asof))

    for m in _RANGE.finditer(folded):
        add(m.start(), m.end(), f"{m.group('a')}-{m.group('b')}", "range")
    for m in _PERIOD.finditer(folded):
        if m.group("year"):
            year = int(m.group("year"))
        else:
            if year_now is None:
                continue
            year = year_now + {"今年": 0, "本年": 0, "去年": -1, "前年": -2, "明年": 1}[m.group("rel")]
        if m.group("half"):
            half = m.group("half")
            if half == "下半年":
                label, kind = f"{year}H2", "half"
            elif re.search(r"前\s*9|九", half):
                label, kind = f"{year}M9", "half"
            else:
                label, kind = f"{year}H1", "half"
        elif m.group("q"):
            label, kind = f"{year}Q{_QUARTER_CN[m.group('q')]}", "quarter"
        elif m.group("month"):
            month = int(m.group("month"))
            if not 1 <= month <= 12:
                continue
            if m.group("day") and not m.group("asof"):
                label, kind = f"{year}-{month:02d}-{int(m.group('day')):02d}", "day"
            else:
                label, kind = f"{year}-{month:02d}", "month"
        else:
            label, kind = str(year), "year"
        add(m.start(), m.end(), label, kind, bool(m.group("asof")) and m.group("asof") != "到")
    for m in _PAST_YEARS.finditer(folded):
        n = chinese_number(m.group("n")) if not m.group("n").isdigit() else int(m.group("n"))
        if year_now and n:
            # the last full year with published results (annual results come out by spring)
            current = year_now - 1 if (month_now or 12) >= 4 else year_now - 2
            add(m.start(), m.end(), f"{current - int(n) + 1}-{current}", "range")
    for m in _TODAY.finditer(folded):
        if article_date and len(article_date) >= 7:
            add(m.start(), m.end(), f"{article_date[:7]}-{int(m.group('day')):02d}", "day")
    for m in _MONTH_DAY.finditer(folded):
        if year_now:
            month = int(m.group("month"))
            year = year_now if (month_now is None or month <= month_now) else year_now - 1
            if 1 <= month <= 12:
                add(m.start(), m.end(), f"{year}-{month:02d}-{int(m.group('day')):02d}", "day")
    for m in _BARE_HALF.finditer(folded):
        before = [p for p in found if p.end <= m.start() and p.kind == "year"]
        if before:
            year = int(before[-1].label)
        elif year_now:
            year = year_now if (month_now or 12) >= 7 else year_now - 1
        else:
            continue
        add(m.start(), m.end(), f"{year}{'H2' if m.group('half') == '下半年' else 'H1'}", "half")
    return sorted(found, key=lambda p: p.start)


def periods_match(a: str, b: str) -> bool:
    """Two period labels name the same time (2025Q3 and 2025-09 do; 2025-06-30 and 2025-06 do)."""
    if not a or not b:
        return False
    return canonical_period(a) == canonical_period(b)


def canonical_period(label: str) -> str:
    """One spelling per time: quarters and quarter-end dates become months (2025Q3 → 2025-09)."""
    if not label:
        return ""
    m = re.fullmatch(r"(\d{4})Q([1-4])", label)
    if m:
        return f"{m.group(1)}-{int(m.group(2)) * 3:02d}"
    m = re.fullmatch(r"(\d{4})-(\d{2})-\d{2}", label)
    if m and label[8:] in ("30", "31"):
        return label[:7]
    if re.fullmatch(r"\d{4}M9", label):
        return label[:4] + "-09"
    return label


# ----------------------------------------------------------------------------- quantities

@dataclass(frozen=True)
class QuantityDef:
    """A measured quantity: its id, the words that name it, and a description for matching by meaning."""

    id: str
    zh: tuple[str, ...]
    en: tuple[str, ...]
    units: tuple[str, ...]
    description: str
    counters: tuple[str, ...] = ()


# Order matters: longer, more specific names first. Keys are Simplified (fold output).
QUANTITIES: tuple[QuantityDef, ...] = (
    QuantityDef("adjusted_net_loss", ("经调整净亏损", "调整后净亏损", "经调整亏损"), ("adjusted net loss", "adjusted loss"), ("CNY",), "经调整净亏损 adjusted net loss"),
    QuantityDef("cumulative_loss", ("累计亏损",), ("cumulative loss", "accumulated loss", "total loss"), ("CNY",), "累计亏损 cumulative losses"),
    QuantityDef("loss_to_revenue", ("亏损占收入", "亏损营收比"), ("loss-to-revenue", "loss to revenue", "losses as a share of revenue", "loss as a multiple of revenue", "times its revenue", "multiple of revenue"), ("%", "x"), "亏损占收入比重 loss to revenue ratio"),
    QuantityDef("net_loss", ("净亏损", "净亏", "亏损", "亏"), ("net loss", "loss", "lose", "lost"), ("CNY",), "净亏损 net loss"),
    QuantityDef("arr", ("年度经常性收入", "经常性收入", "arr"), ("annual recurring revenue", "arr"), ("CNY",), "年度经常性收入 ARR annual recurring revenue"),
    QuantityDef("rd_to_revenue", ("占当年收入", "占营收比", "占营收", "相当于当年收入", "相当于收入"), ("r&d as a share of revenue", "r&d intensity", "times its revenue on r&d", "relative to revenue"), ("%", "x"), "研发占营收比 R&D as share of revenue"),
    QuantityDef("rd_expense", ("研发开支", "研发费用", "研发投入", "研发支出", "研发投资", "研发成本"), ("r&d", "research and development", "research spending"), ("CNY",), "研发开支 R&D expense"),
    QuantityDef("compute_share", ("算力服务费", "算力成本", "算力支出", "算力"), ("compute", "computing power", "computing"), ("%", "CNY"), "算力费用 compute costs"),
    QuantityDef("net_current_liabilities", ("流动负债净额", "流动负债"), ("net current liabilities", "current liabilities"), ("CNY",), "流动负债净额 net current liabilities"),
    QuantityDef("cash", ("现金及现金等价物", "现金余额"), ("cash and cash equivalents", "cash"), ("CNY",), "现金及现金等价物 cash and cash equivalents"),
    QuantityDef("cash_burn", ("现金消耗率", "烧钱速度", "烧钱", "现金消耗"), ("cash burn", "burn rate", "burn"), ("CNY",), "每月现金消耗 monthly cash burn"),
    QuantityDef("runway", ("支撑", "撑"), ("runway", "last", "sustain"), ("month",), "现金可支撑月数 cash runway months"),
    QuantityDef("gross_margin", ("毛利率", "毛利"), ("gross margin",), ("%",), "毛利率 gross margin"),
    QuantityDef("market_share", ("市场份额", "份额"), ("market share",), ("%",), "市场份额 market share"),
    QuantityDef("market_size", ("市场规模",), ("market size", "size of the market", "market was worth"), ("CNY",), "市场规模 market size"),
    QuantityDef("cagr", ("复合增长率", "年复合增长率", "复合成长率"), ("compound annual", "cagr"), ("%",), "年复合增长率 compound annual growth rate"),
    QuantityDef("growth", ("同比增长", "年增", "增长", "增"), ("year-on-year", "growth", "grew", "increase"), ("%", "x"), "同比增长 growth rate"),
    QuantityDef("revenue_share", ("收入占比", "占比", "占总收入", "贡献了总收入", "占收入比重", "占公司营收"), ("share of revenue", "share of total revenue", "proportion of revenue", "percentage of revenue", "share of its revenue", "revenue share", "came from"), ("%",), "收入占比 share of revenue"),
    QuantityDef("revenue", ("营业收入", "营收", "收入", "年收", "营业额"), ("revenue", "sales", "income", "earned"), ("CNY", "USD"), "收入 营收 revenue"),
    QuantityDef("valuation", ("投后估值", "估值"), ("valuation", "valued", "post-money"), ("CNY", "USD", "HKD"), "估值 valuation"),
    QuantityDef("market_cap", ("市值",), ("market cap", "market capitalisation", "market capitalization", "market value"), ("HKD", "CNY", "USD"), "市值 market capitalisation"),
    QuantityDef("oversubscription", ("超额认购", "认购倍数", "公开发售倍数", "发售倍数", "认购"), ("oversubscri", "subscription multiple", "subscribed", "subscription"), ("x",), "超额认购倍数 oversubscription multiple"),
    QuantityDef("margin_loan", ("孖展", "保证金"), ("margin financing", "margin loan"), ("HKD",), "孖展 margin financing"),
    QuantityDef("proceeds", ("募资净额", "募资总额", "募资", "募集资金", "募得", "集资"), ("proceeds", "raise", "raised"), ("HKD", "CNY", "USD"), "IPO募资 IPO proceeds"),
    QuantityDef("offer_price", ("发行价",), ("offer price", "ipo price", "issue price", "priced at"), ("HKD",), "每股发行价 offer price per share"),
    QuantityDef("open_price", ("开盘报", "开出", "开盘"), ("opening price", "opened at", "open at"), ("HKD", "%"), "上市首日开盘价 opening price"),
    QuantityDef("funding_total", ("累计融资", "融资规模", "累计筹资", "融资超"), ("total funding", "funding raised", "raised in total"), ("CNY",), "累计融资额 total funding raised"),
    QuantityDef("funding_rounds", ("轮融资", "融资"), ("funding rounds", "rounds of funding", "financing rounds"), ("count",), "融资轮数 funding rounds", counters=('轮',)),
    QuantityDef("voting_rights", ("表决权", "投票权"), ("voting rights", "voting power", "votes"), ("%",), "表决权 voting rights"),
    QuantityDef("shareholding", ("持股", "股权", "持有"), ("shareholding", "stake", "shares held", "own", "hold"), ("%",), "持股比例 shareholding"),
    QuantityDef("customers", ("企业客户", "机构客户", "客户"), ("customers", "clients", "customer"), ("count",), "企业客户数 number of enterprise customers", counters=('家',)),
    QuantityDef("paid_developers", ("付费开发者", "付费订阅", "付费用户"), ("paying developers", "paid developers", "paying users", "paid subscribers"), ("count", "month"), "付费开发者 paying developers", counters=('名', '人', '位', '')),
    QuantityDef("developers", ("开发者",), ("developers", "developer"), ("count",), "开发者数量 developers", counters=('名', '人', '位', '')),
    QuantityDef("downloads", ("下载量", "下载"), ("downloads", "downloaded"), ("count",), "开源模型下载量 downloads", counters=('次',)),
    QuantityDef("devices", ("终端设备", "设备"), ("devices", "terminal devices"), ("count",), "终端设备 devices", counters=('台',)),
    QuantityDef("chips", ("芯片", "晶片"), ("chips", "chip"), ("count",), "适配芯片数 compatible chips", counters=('款', '个', '种')),
    QuantityDef("models_open_sourced", ("开源了", "已开源", "开源"), ("open-sourced", "open source models", "open-source models"), ("count",), "开源模型数 open-sourced models", counters=('个', '款')),
    QuantityDef("employees", ("员工",), ("employees", "staff", "headcount", "workforce"), ("count", "%"), "员工人数 employees", counters=('名', '人', '位')),
    QuantityDef("rd_staff", ("研发人员", "研发团队"), ("r&d staff", "r&d team", "researchers"), ("count", "%"), "研发人员 R&D staff", counters=('名', '人', '位')),
    QuantityDef("shares_offered", ("万股", "h股", "发售"), ("shares", "h shares"), ("count",), "发行股数 shares offered", counters=('股', '')),
    QuantityDef("stock_price", ("股价", "报收", "涨至"), ("share price", "stock price", "traded at"), ("HKD", "%"), "股价 share price"),
)
_BY_ID = {q.id: q for q in QUANTITIES}

# Words that make a quantity a different measure of the same thing.
QUALIFIERS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("onprem", ("本地化部署", "本地部署", "私有化部署"), ("on-premise", "on premise", "on-prem", "local deployment", "localized deployment")),
    ("cloud", ("云端",), ("cloud",)),
    ("overseas", ("海外",), ("overseas", "abroad", "foreign")),
    ("sea", ("东南亚",), ("southeast asia", "south-east asia")),
    ("hk", ("香港公开发售", "公开发售", "香港公开"), ("hong kong public", "public offering", "retail")),
    ("intl", ("国际发售",), ("international",)),
    ("api", ("api",), ("api",)),
    ("coding", ("coding", "编程", "编码", "程式"), ("coding", "programming")),
    ("maas", ("maas",), ("maas",)),
    ("top5", ("前五大客户", "前五大"), ("top five", "top-five", "five largest")),
    ("salary", ("工资",), ("salary", "salaries", "wage")),
    ("sales", ("销售及营销", "营销开支"), ("sales and marketing", "marketing")),
    ("openai", ("openai",), ("openai",)),
    ("market", ("市场规模",), ("market size", "size of the market")),
    ("europe", ("欧洲",), ("europe",)),
    ("namerica", ("北美",), ("north america",)),
    ("mideast", ("中东",), ("middle east",)),
    ("japan", ("日本",), ("japan",)),
    ("cumulative", ("累计", "合计投入", "三年半"), ("cumulative", "combined", "accumulated", "three and a half years", "since 2022")),
    ("segment", ("这类业务", "该业务", "此类业务", "这类"), ()),
    ("founders", ("创始", "刘德兵", "唐杰", "实际控制人", "一致行动"), ("founder", "tang jie", "liu debing", "controlling")),
    ("minimax", ("minimax",), ("minimax",)),
)


def quantity_in(text: str) -> list[tuple[int, int, str]]:
    """Mentions of quantities in folded Chinese text: ``(start, end, quantity_id)``, non-overlapping."""
    folded = fold(text).lower()
    hits: list[tuple[int, int, str]] = []
    for q in QUANTITIES:
        for word in q.zh:
            for m in re.finditer(re.escape(word), folded):
                if not any(s < m.end() and m.start() < e for s, e, _ in hits):
                    hits.append((m.start(), m.end(), q.id))
    return sorted(hits)


def _words(words: Sequence[str]) -> re.Pattern[str] | None:
    # Latin words must stand alone ("api" is not in "capitalisation"); Chinese ones need not.
    parts = [f"(?<![a-z]){re.escape(w)}(?![a-z])" if w.isascii() else re.escape(w) for w in words]
    return re.compile("|".join(parts)) if parts else None


_QUALIFIER_RE = {name: _words(tuple(zh) + tuple(en)) for name, zh, en in QUALIFIERS}


def qualifiers_in(text: str) -> frozenset[str]:
    """Qualifiers named in a Chinese or English text."""
    low = fold(text).lower()
    return frozenset(name for name, pattern in _QUALIFIER_RE.items() if pattern is not None and pattern.search(low))


# ----------------------------------------------------------------------------- claims


@dataclass(frozen=True)
class Claim:
    """One value stated in one sentence of one document."""

    claim_id: int
    doc_id: str
    sentence_id: int
    start: int
    end: int
    text: str
    value: float
    unit: str
    counter: str
    hedge: str
    low: float
    high: float
    quantity: str
    qualifiers: tuple[str, ...]
    period: str
    doc_date: str | None
    #: when the figure was reported: a date in its sentence ("1月5日", "今(8)日"), else the article's
    reported: str | None = None

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["qualifiers"] = list(self.qualifiers)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "Claim":
        data = dict(data)
        data["qualifiers"] = tuple(data.get("qualifiers", ()))  # type: ignore[arg-type]
        return cls(**data)  # type: ignore[arg-type]


_CLAUSE_BREAK = re.compile(r"[,，;；:：。！？!?\n]")


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in _CLAUSE_BREAK.finditer(text, end)), len(text))
    return left, right


def _fits(quantity: str, unit: str) -> bool:
    q = _BY_ID.get(quantity)
    if q is None:
        return False
    if unit in ("month", "day", "year", "hour", "week", "quarter"):
        return "month" in q.units or quantity in ("paid_developers", "arr")
    if unit in ("CNY", "HKD", "USD"):
        return any(u in ("CNY", "HKD", "USD") for u in q.units)
    return unit in q.units or (unit == "x" and "%" in q.units) or (unit == "%" and "x" in q.units)


def _fits_value(quantity: str, v: "Value") -> bool:
    if not v.unit:
        return quantity in _BY_ID
    if not _fits(quantity, v.unit):
        return False
    q = _BY_ID[quantity]
    return v.unit != "count" or not q.counters or v.counter in q.counters


def claims_in_sentence(sentence: str, article_date: str | None = None) -> list[tuple[Value, str, frozenset[str], str, str]]:
    """``(value, quantity, qualifiers, period, as_of)`` for each value of one sentence. Never raises."""
    try:
        return _claims_in_sentence(sentence, article_date)
    except Exception:  # noqa: BLE001
        return []


def _claims_in_sentence(sentence: str, article_date: str | None) -> list[tuple[Value, str, frozenset[str], str, str]]:
    folded = fold(sentence)
    values = list(_parse_values(folded))
    if not values:
        return []
    periods = _find_periods(folded, article_date)
    values = [v for v in values if not any(p.start < v.end and v.start < p.end for p in periods)]
    mentions = quantity_in(folded)
    out = []
    respectively = "分别" in folded
    listed_years = [p for p in periods if p.kind in ("year", "half")]
    # A calendar day in the sentence ("1月5日,智谱结束招股", "今(8)日") dates the report of a
    # figure, not the period it measures.
    days = [p for p in periods if p.kind == "day"]
    spans = [p for p in periods if p.kind != "day"]
    for i, v in enumerate(values):
        left, right = _clause_bounds(folded, v.start, v.end)
        quantity, mention = _quantity_for(v, mentions, folded, right)
        if not quantity:
            continue
        unit = v.unit or _BY_ID[quantity].units[0] if quantity in _BY_ID else v.unit
        if unit != v.unit:
            v = Value(v.start, v.end, v.text, v.value, unit, v.counter, v.hedge, v.hedge_kind, v.low, v.high)
        qualifiers = _qualifiers_for(v, quantity, mention, folded, left, right)
        period = _period_for(v, i, values, spans, listed_years, respectively, folded)
        days_before = [p for p in days if p.end <= v.start]
        as_of = (days_before[-1] if days_before else days[0]).label if days else ""
        out.append((v, quantity, qualifiers, period, as_of))
    return out


_TIME_UNITS = ("month", "day", "week", "hour", "quarter", "year")


def _qualifiers_for(v: Value, quantity: str, mention: tuple[int, int, str] | None, folded: str,
                    left: int, right: int) -> frozenset[str]:
    found = _own_qualifiers(v, quantity, mention, folded, left, right)
    if quantity != "market_size" and "市场规模" in folded[:v.start]:
        found |= {"market"}  # "...53亿元的市场规模中,机构客户贡献47亿元": figures of the market, not the company
    before = folded[max(0, v.start - 2):v.start]
    if "从" in before and re.match(r"\s*(?:提升|增长|增加|升|扩大|降)", folded[v.end:v.end + 4]):
        found |= {"baseline"}  # "从15%提升至50%": 15% is where it starts, not the figure asked
    if quantity in ("shareholding", "voting_rights") and "founders" not in found and mention is not None:
        holder = re.findall(r"[\u4e00-\u9fff]{1,4}$", re.split(r"[,，;；:：。、\s]", folded[max(0, mention[0] - 6):mention[0]])[-1])
        if holder:
            found |= {"holder:" + holder[0]}
    return found


def _own_qualifiers(v: Value, quantity: str, mention: tuple[int, int, str] | None, folded: str,
                    left: int, right: int) -> frozenset[str]:
    if quantity in ("duration", "runway"):
        return qualifiers_in(folded)  # "3个月内吸引了15万付费开发者": the subject is the sentence's
    if mention is not None and mention[0] >= v.end:
        # "1159.46倍的香港公开发售倍数、15.28倍的国际发售认购倍数": the words between
        # the number and its noun qualify it, not the neighbouring item of the list
        own = qualifiers_in(folded[v.start:mention[1]])
        return own or qualifiers_in(folded[left:v.start])
    own = qualifiers_in(folded[left:right])
    part_word = re.search(r"其中|贡献", folded[left:v.start])
    named_after = mention is not None and part_word is not None and mention[0] >= left + part_word.end()
    if v.unit in ("CNY", "HKD", "USD") and ((part_word and not named_after)
                                             or re.search(r"%\s*[(（]\s*(?:约|大约)?\s*$", folded[max(0, v.start - 8):v.start])):
        own |= {"part"}  # "其中70%(约15.53亿元)用于算力", "机构客户贡献47亿元": a part of the figure
    if own:
        return own
    # else the clause just before ("在港股公开发售募资2.2亿元计算,超额认购910倍")
    if left > 1:
        prev_left, _ = _clause_bounds(folded, left - 2, left - 1)
        return qualifiers_in(folded[prev_left:left])
    return frozenset()


def _quantity_for(v: Value, mentions: Sequence[tuple[int, int, str]], folded: str,
                  clause_end: int) -> tuple[str, tuple[int, int, str] | None]:
    """The quantity a value measures, and the mention it was read from."""
    if v.unit in _TIME_UNITS:
        left, _ = _clause_bounds(folded, v.start, v.end)
        if "撑" in folded[left:v.start]:
            return "runway", None
        return "duration", None

    def fits(m: tuple[int, int, str]) -> bool:
        return _fits_value(m[2], v)

    # Chinese puts the counted noun right after the number: "1.2万家企业客户",
    # "1159.46倍的香港公开发售倍数", "以3.12亿元营收".
    for m in mentions:
        gap = folded[v.end:m[0]]
        if m[0] >= v.end and len(gap.strip(" 的之")) <= 6 and not _CLAUSE_BREAK.search(gap) \
                and not any(c.isdigit() for c in gap) and fits(m):
            return m[2], m
    before = [m for m in mentions if m[1] <= v.start and fits(m)]
    if v.unit in ("count", ""):
        # a count names its noun in its own clause ("机构客户超8000家"); an earlier
        # clause's noun ("...企业客户,前十大互联网公司中有9家") is about something else
        left, _ = _clause_bounds(folded, v.start, v.end)
        before = [m for m in before if m[0] >= left]
    if before:
        return before[-1][2], before[-1]
    after = [m for m in mentions if m[0] >= v.end and m[1] <= clause_end and fits(m)]
    if after:
        return after[0][2], after[0]
    return "", None


def _period_for(v: Value, i: int, values: Sequence[Value], periods: Sequence[Period],
                listed: Sequence[Period], respectively: bool, folded: str) -> str:
    if respectively and len(listed) >= 2:
        # "2022年、2023年、2024年收入分别为A、B、C": the i-th value of the list takes the i-th period
        same_unit = [x for x in values if x.start > listed[-1].end and x.unit == v.unit]
        if v in same_unit and len(same_unit) == len(listed):
            return listed[same_unit.index(v)].label
    ranges = [p for p in periods if p.kind == "range" and p.end <= v.start]
    if respectively and ranges:
        # "2022年至2024年...分别为A、B、C": one value per year of the range, up to the next period
        r = ranges[-1]
        a, b = (int(x) for x in r.label.split("-"))
        stop = min((p.start for p in periods if p.start > r.end), default=len(folded))
        same_unit = [x for x in values if r.end < x.start < stop and x.unit == v.unit]
        if v in same_unit and len(same_unit) == b - a + 1:
            return str(a + same_unit.index(v))
    before = [p for p in periods if p.end <= v.start]
    if v.unit == "count" and before:
        # a count is a stock at a date: only an as-of date, or a period in its own clause, dates it
        left, _ = _clause_bounds(folded, v.start, v.end)
        before = [p for p in before if p.start >= left or p.asof or p.kind in ("month", "quarter", "day")]
    if before:
        return before[-1].label
    after = [p for p in periods if p.start >= v.end]
    left, right = _clause_bounds(folded, v.start, v.end)
    after = [p for p in after if p.end <= right]
    return after[0].label if after else ""


def extract_claims(doc_id: str, sentences: Iterable[tuple[int, int, int, str]], article_date: str | None,
                   first_id: int = 0) -> list[Claim]:
    """Claims of a document's sentences, given as ``(sentence_id, start, end, text)``."""
    claims: list[Claim] = []
    cid = first_id
    previous: frozenset[str] = frozenset()
    for sid, s_start, _s_end, text in sentences:
        found = claims_in_sentence(text, article_date)
        here = qualifiers_in(text) - {"segment"}
        for v, quantity, qualifiers, period, as_of in found:
            if "segment" in qualifiers and previous:
                # "这类业务的毛利率...66.0%": the business the previous sentence named
                qualifiers = (qualifiers - {"segment"}) | previous
            claims.append(Claim(
                cid, doc_id, sid, s_start + v.start, s_start + v.end, text[v.start:v.end], v.value, v.unit,
                v.counter, v.hedge, v.low, v.high, quantity, tuple(sorted(qualifiers)), period, article_date,
                as_of or article_date,
            ))
            cid += 1
        previous = here or previous
    return claims


def quantity_def(quantity_id: str) -> QuantityDef | None:
    return _BY_ID.get(quantity_id)
