"""The fact check end to end on a small newsroom archive written for these tests (real USE-m,
FAISS, bm25s): conflicts, agreement after rounding, periods, measures, wire copy, who-questions,
and what the answer and its JSON show. Question reading is checked on its own first."""

from __future__ import annotations

import json

import pytest

from retriever import Verdict
from index.claims import sentence_claims
from index.text import normalise
from index.values import lexicon
from retriever.check import read_question
from retriever.check.question import ordinals_in
from ui.render import answer_html

# Three events, two or three outlets each; publishers and dates in sources.json.
ARCHIVE = {
    "quake-a.txt": "北岭县地震\n\n北岭县12日凌晨发生6.1级地震。县应急管理局通报，地震已造成37人死亡、215人受伤。"
                   "救援人员在倒塌的民房中连夜搜救。",
    "quake-b.txt": "北嶺縣強震\n\n北嶺縣12日凌晨發生規模6.1地震，當局表示，地震共造成52人罹難，另有逾200人受傷。"
                   "多處道路中斷。",
    "mill-a.txt": "澄江纺织公布年报\n\n澄江纺织2024年营业收入为12.47亿元，同比增长8%。公司2024年经调整净利润为1.3亿元，"
                  "净利润为0.9亿元。2025年上半年营业收入为6.8亿元。",
    "mill-b.txt": "澄江纺织业绩\n\n据年报，澄江纺织2024年营收约12.5亿元。公司净利润为0.9亿元。",
    "bridge-a.txt": "Harlow Bridge opens\n\nThe Harlow Bridge, which cost $412 million, opened to traffic on "
                    "March 3, 2024. Mayor Dana Ruiz cut the ribbon.",
    "bridge-b.txt": "New crossing\n\nThe Harlow Bridge, which cost $412 million, opened to traffic on "
                    "March 3, 2024. Mayor Dana Ruiz cut the ribbon.",
    "bridge-c.txt": "Harlow Bridge\n\nThe Harlow Bridge is 2.4 km long and took three years to build. "
                    "The bridge's final cost was $530 million, the city said.",
    # two outlets print the same sentence, whose year opens it and stands alone before a comma
    "museum-a.txt": "Orchard Museum\n\nIn 2003, the Orchard Museum opened in the old mill at Halden. "
                    "It holds 4,000 tools.",
    "museum-b.txt": "Halden museum\n\nIn 2003, the Orchard Museum opened in the old mill at Halden. "
                    "Entry is free on Sundays.",
    # two films of one studio: the sequel's takings are not the first film's
    "film-a.txt": "Lantern Keeper\n\nThe comedy Lantern Keeper, released by Birch Pictures in June 2019, "
                  "spent its first weekend atop the box office and grossed $73 million.",
    "film-b.txt": "Birch Pictures hit\n\nThe comedy Lantern Keeper, released by Birch Pictures in June 2019, "
                  "spent its first weekend atop the box office and grossed $73 million.",
    "film-c.txt": "Birch Pictures sequel\n\nAlthough critics disliked the Birch Pictures sequel, the movie "
                  "did well at the box office, grossing $68 million.",
    # a festival's move to February, dated differently by two outlets
    "fest-a.txt": "海岑影展\n\n海岑影展始于1951年夏，1978年开始改为在每年的2月举行。",
    "fest-b.txt": "海岑影展沿革\n\n海岑影展始于1951年夏，1981年开始改为在每年的2月举行。",
    # one outlet gives the plant's workforce twice, differently
    "plant-a.txt": "Orland rivet plant\n\nThe Orland rivet plant employs 300 workers, its owner said on Monday. "
                   "Orders have doubled since spring. The Orland rivet plant employs 350 workers and ships to six "
                   "countries.",
    "plant-b.txt": "Orland plant grows\n\nThe Orland rivet plant employs 300 workers, the town council said.",
    # one singer's first and second albums
    "singer-a.txt": "Mara Quinn debut\n\nMara Quinn's first solo album, Tidewater, was released on June 24, 2003, "
                    "to strong reviews.",
    "singer-b.txt": "Quinn goes solo\n\nMara Quinn's first solo album, Tidewater, was released on June 24, 2003, "
                    "to strong reviews.",
    "singer-c.txt": "Quinn returns\n\nMara Quinn's second solo album, Driftline, was released on September 5, 2006, "
                    "and sold well.",
    # a zero-width space inside a figure (pasted from a web page)
    "dam-a.txt": "松岭水电站\n\n松岭水电站总投资35亿元，2023年开工。",
    "dam-b.txt": "松嶺水電站\n\n松嶺水電站總投資3\u200b5億元，2023年開工。",
    "port-a.txt": "云港码头扩建\n\n云港码头扩建工程投资80亿元，明年完工。",
    "port-b.txt": "云港码头\n\n云港码头扩建工程投资9\u200b0亿元，明年完工。",
    # the same figure in other words, well behind the first on the question's words
    "ferry-a.txt": "海港渡轮新航线开通\n\n海港渡轮新航线今日正式开通，首航共搭载乘客1280人，票价每人45元。"
                   "港务局表示，航线每日往返六班。",
    "ferry-b.txt": "新航线首日\n\n据港务部门统计，海港渡轮开通当天，码头运送的乘客共1280名。码头另有市民在岸边观看。",
}
SOURCES = {
    "quake-a": {"publisher": "北岭日报", "date": "2025-03-12", "script": "Simplified"},
    "quake-b": {"publisher": "東港時報", "date": "2025-03-14", "script": "Traditional"},
    "mill-a": {"publisher": "江城晚报", "date": "2025-04-02", "script": "Simplified"},
    "mill-b": {"publisher": "财经观察", "date": "2025-04-03", "script": "Simplified"},
    "bridge-a": {"publisher": "Harbor Ledger", "date": "2024-03-04", "script": "Latin"},
    "bridge-b": {"publisher": "Valley Wire", "date": "2024-03-04", "script": "Latin"},
    "bridge-c": {"publisher": "City Weekly", "date": "2024-03-10", "script": "Latin"},
    "museum-a": {"publisher": "Harbor Ledger", "date": "2024-05-02", "script": "Latin"},
    "museum-b": {"publisher": "Valley Wire", "date": "2024-05-02", "script": "Latin"},
    "film-a": {"publisher": "Harbor Ledger", "date": "2019-07-01", "script": "Latin"},
    "film-b": {"publisher": "Valley Wire", "date": "2019-07-01", "script": "Latin"},
    "film-c": {"publisher": "City Weekly", "date": "2021-08-01", "script": "Latin"},
    "fest-a": {"publisher": "江城晚报", "date": "2024-02-01", "script": "Simplified"},
    "fest-b": {"publisher": "财经观察", "date": "2024-02-03", "script": "Simplified"},
    "plant-a": {"publisher": "Harbor Ledger", "date": "2024-06-03", "script": "Latin"},
    "plant-b": {"publisher": "City Weekly", "date": "2024-06-04", "script": "Latin"},
    "singer-a": {"publisher": "Harbor Ledger", "date": "2003-06-25", "script": "Latin"},
    "singer-b": {"publisher": "Valley Wire", "date": "2003-06-26", "script": "Latin"},
    "singer-c": {"publisher": "City Weekly", "date": "2006-09-06", "script": "Latin"},
    "dam-a": {"publisher": "江城晚报", "date": "2023-05-02"},
    "dam-b": {"publisher": "東港時報", "date": "2023-05-03"},
    "port-a": {"publisher": "江城晚报", "date": "2024-05-02"},
    "port-b": {"publisher": "财经观察", "date": "2024-05-03"},
    "ferry-a": {"publisher": "江城晚报", "date": "2024-07-01"},
    "ferry-b": {"publisher": "东港时报", "date": "2024-07-02"},
}


@pytest.fixture(scope="module")
def archive(checker_for):
    return checker_for("archive", ARCHIVE, SOURCES)


# ----------------------------------------------------------------------------- reading questions


@pytest.mark.parametrize("question, asks, kinds, unit, period", [
    ("北岭县地震造成多少人死亡？", "count", {"count", "number"}, "person", ""),
    ("澄江纺织2024年营收是多少？", "number", {"money"}, "", "2024"),  # revenue is an amount of money
    ("澄江紡織今年上半年營收多少？", "number", {"money"}, "", "2025H1"),
    ("大桥全长多少公里？", "number", {"measure"}, "length", ""),
    # a noun after 多少 may name the kind of figure: money, a share ([asked_nouns])
    ("这场火灾造成了多少直接经济损失？", "number", {"money"}, "", ""),
    ("該基金上市前持有公司多少股權？", "number", {"percent"}, "", ""),
    ("该公司2024年的毛利率是多少？", "percent", {"percent"}, "", "2024"),  # a rate named by its noun
    ("What was the gross margin in 2024?", "percent", {"percent"}, "", "2024"),
    ("该品牌营收年增率是多少？", "percent", {"percent"}, "", ""),  # a rate named by its noun
    ("这条高速公路总投资多少？", "number", {"money"}, "", ""),  # a noun of the figure's kind before 多少
    ("考察队的经费是多少？", "number", {"money"}, "", ""),
    ("公司的亏损是收入的多少倍？", "multiple", {"multiple", "percent"}, "x", ""),  # 倍 after 多少 comes first
    ("这个市场的规模有多大？", "measure", {"measure", "count", "number", "money"}, "", ""),  # money too
    ("智谱是哪一年成立的？", "date", {"date"}, "", ""),
    ("工程花了多长时间？", "duration", {"duration"}, "", ""),
    ("How many people died in the quake?", "count", {"count", "number"}, "person", ""),
    ("What share of the vote did she win?", "percent", {"percent"}, "", ""),
    ("In what year was the bridge opened?", "date", {"date"}, "", ""),
    ("How long did it take to build the bridge?", "duration", {"duration"}, "", ""),  # a span, not a length
    ("How much did the bridge cost in the first half of 2024?", "money", {"money"}, "", "2024H1"),
    ("How much water does the dam hold?", "money", {"money", "measure", "count", "number", "percent", "multiple"}, "", ""),
    ("Who cut the ribbon?", "who", {"name"}, "person", ""),
    ("Where did the ribbon get cut?", "where", {"name"}, "place", ""),
    ("岚溪河大堤是在哪个镇决口的？", "where", {"name"}, "place", ""),
    ("Why was the bridge closed?", "why", set(), "", ""),
    # an English question that names something in Chinese is read as English
    ("When did 青川矿业 list?", "date", {"date"}, "", ""),
    ("Who is the head of the 青石镇卫生院?", "who", {"name"}, "person", ""),
    ("智谱的股票代码是多少？", "code", set(), "", ""),
])
def test_questions_are_read_for_the_kind_of_value_they_ask(question, asks, kinds, unit, period):
    read = read_question(question, "2025-12-31")
    assert read.asks == asks
    assert {k.value for k in read.kinds} == kinds
    assert read.unit == unit
    assert (read.period.label if read.period else "") == period


def test_a_count_of_one_thing_does_not_answer_a_question_counting_another():
    from index.values import parse_values
    from retriever.check.align import unit_fits

    people = read_question("这次事故造成多少人受伤？", "2025-12-31")
    shares, persons, things = (parse_values(t)[0] for t in ("187.1万股", "23人", "3个"))
    assert not unit_fits(people, shares)
    assert unit_fits(people, persons) and unit_fits(people, things)  # 个 counts anything
    times = read_question("How many times oversubscribed was the share offering?", "2025-12-31")
    assert not unit_fits(times, shares) and unit_fits(times, parse_values("910倍")[0])


def test_english_words_a_chinese_archive_never_uses_are_found_by_their_chinese_words():
    # the corpus vocabulary of a Chinese archive: many Chinese words, no English ones
    idf = {w: 3.0 for w in ("估值", "算力", "亏损", "融资", "公司", "平台", "开发者", "研发", "上市")}
    idf.update({f"词{i}": 2.0 for i in range(60)})
    terms = read_question("What share of R&D spending went to computing power, and what was the valuation?",
                          "2026-01-08", idf).terms
    found = {t.word: t.chinese for t in terms.terms}
    assert found.get("computing power") == ("算力",)  # a two-word gloss, as one word
    assert found.get("valuation") == ("估值",)
    assert terms.known
    # an English archive gets no bridge: its unknown words stay unknown
    english = read_question("What was the valuation?", "2026-01-08", {"revenue": 3.0, "price": 2.0}).terms
    assert not any(t.chinese for t in english.terms)


def test_a_hyphenated_word_is_found_by_its_parts():
    # the tokenizer cuts the question's "T-shirt" into t / shirt; the sentence's "T-shirt" must match
    terms = read_question("How much did the T-shirt raise?", "2026-01-08", {"shirt": 5.0, "raise": 3.0}).terms
    assert terms.coverage(normalise("The charity T-shirt raised a total of $2 million.")) == 1.0


def test_question_words_leave_out_asking_words_figures_and_dates():
    read = read_question("2024年北岭县地震共造成多少人死亡？", "2025-12-31")
    assert "多少" not in read.terms.words and "2024" not in read.terms.words
    assert {"北岭", "地震", "死亡"} <= set(read.terms.words)


# ----------------------------------------------------------------------------- verdicts


def test_two_outlets_that_state_different_tolls_are_a_conflict(archive):
    answer = archive.ask("北岭县地震造成多少人死亡？")
    assert answer.verdict is Verdict.CONFLICT, answer.text
    shown = {v.value.replace(" ", "") for v in answer.check.values}
    assert {"37人", "52人"} <= shown
    names = {s.name for v in answer.check.values for s in v.sources}
    assert {"北岭日报", "東港時報"} <= names  # sources by publisher, not by file id
    assert answer.text.startswith("Sources disagree: ")
    latest = [v for v in answer.check.values if v.latest]
    assert [v.value for v in latest] == ["52人"]  # the latest report is marked, not called right


def test_an_english_question_over_chinese_articles_finds_the_same_conflict(archive):
    answer = archive.ask("How many people were killed in the Beiling county (北岭县) earthquake?")
    assert answer.verdict is Verdict.CONFLICT, answer.text


def test_a_zero_width_space_inside_a_figure_changes_nothing(archive):
    # "3\u200b5亿元" was read as 5亿元 (a false conflict) and "9\u200b0亿元" as 0亿元
    same = archive.ask("松岭水电站总投资多少？")
    assert same.verdict is Verdict.CONSISTENT, same.text
    assert {s.doc_id for s in same.check.values[0].sources} == {"dam-a", "dam-b"}
    apart = archive.ask("云港码头扩建工程投资多少？")
    assert apart.verdict is Verdict.CONFLICT, apart.text
    assert {v.value.replace("\u200b", "") for v in apart.check.values} == {"80亿元", "90亿元"}
    for c in apart.citations:  # the citation still quotes the text as written
        doc = archive.index.documents[c.doc_id]
        assert doc.text[c.start:c.end] == c.quote


def test_a_source_stating_the_same_figure_in_its_own_words_corroborates_it(archive):
    answer = archive.ask("海港渡轮首航搭载了多少乘客？")
    assert answer.verdict is Verdict.CONSISTENT
    [group] = answer.check.values
    assert sorted(s.doc_id for s in group.sources) == ["ferry-a", "ferry-b"]


def test_rounding_behind_a_hedge_is_agreement(archive):
    answer = archive.ask("澄江纺织2024年的营业收入是多少？")
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    assert len(answer.check.values) == 1
    assert {s.doc_id for s in answer.check.values[0].sources} == {"mill-a", "mill-b"}


def test_another_period_is_shown_apart_never_compared(archive):
    answer = archive.ask("澄江纺织2025年上半年营收多少？")
    assert answer.verdict is Verdict.SINGLE_SOURCE, answer.text
    assert [v.value for v in answer.check.values] == ["6.8亿元"]


def test_an_adjusted_figure_is_another_measure(archive):
    answer = archive.ask("澄江纺织2024年净利润是多少？")
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    assert [v.value for v in answer.check.values] == ["0.9亿元"]
    assert any(a.reason == "other measure" and "adjusted" in a.modifiers for a in answer.check.apart)


def test_a_period_no_source_covers_is_not_found(archive):
    answer = archive.ask("澄江纺织2021年营收是多少？")
    assert answer.verdict is Verdict.NOT_FOUND and not answer.citations
    assert any("2024" in note for note in answer.notes), answer.notes


def test_wire_copy_is_corroboration_quoted_once_and_cited_to_both(archive):
    answer = archive.ask("When did the Harlow Bridge open to traffic?")
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    sentence = "The Harlow Bridge, which cost $412 million, opened to traffic on March 3, 2024."
    assert answer.text.count(sentence) == 1
    cited = [c for c in answer.citations if c.quote == sentence]
    assert {c.doc_id for c in cited} == {"bridge-a", "bridge-b"}
    for c in cited:
        assert f"[{c.n}]" in answer.text


def test_a_later_different_figure_is_a_conflict_with_both_values(archive):
    answer = archive.ask("How much did the Harlow Bridge cost?")
    assert answer.verdict is Verdict.CONFLICT, answer.text
    shown = {v.value for v in answer.check.values}
    assert {"$412 million", "$530 million"} <= shown


def test_the_same_sentence_in_two_outlets_agrees_when_its_year_stands_alone(archive):
    # "In 2003," has no words of its own: the two values stand at the same place of one sentence
    answer = archive.ask("When did the Orchard Museum open?")
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    assert [v.value for v in answer.check.values] == ["2003"]
    assert {s.doc_id for s in answer.check.values[0].sources} == {"museum-a", "museum-b"}


def test_a_figure_said_of_another_named_subject_is_not_a_conflict(archive):
    # the sequel's $68 million is on the same studio and the same box office, but its sentence
    # does not name the film the question names
    answer = archive.ask('How much did the movie "Lantern Keeper" gross?')
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    assert [v.value for v in answer.check.values] == ["$73 million"]
    assert {s.doc_id for s in answer.check.values[0].sources} == {"film-a", "film-b"}


def test_a_plan_frames_every_figure_after_it_and_a_measure_only_its_clause():
    planned = sentence_claims("d", 0, 0, "上市后,公司计划将募资的70%用于研发,约10%用于平台建设。", "2026-01-08")
    assert [(c.text, sorted(c.modifiers)) for c in planned] == [("70%", ["planned"]), ("约10%", ["planned"])]
    adjusted = sentence_claims("d", 0, 0, "Adjusted profit rose to $3bn, while revenue fell to $9bn.", "2026-01-08")
    assert [(c.text, sorted(c.modifiers)) for c in adjusted] == [("$3bn", ["adjusted"]), ("$9bn", [])]
    # a share that "opened at" a price (以每股…開出) states its opening price, as 开盘 does
    opened = sentence_claims("d", 0, 0, "該股以每股 58 港元開出，收市報 61.5 港元。", "2026-01-08")
    assert ("58 港元", ["opening"]) in [(c.text, sorted(c.modifiers)) for c in opened]


def test_a_question_for_the_year_is_answered_by_years_not_by_the_month_after_them(archive):
    # "每年" qualifies the schedule, not the year asked; "2月" does not state a year
    answer = archive.ask("海岑影展在哪一年改为每年2月举行？")
    assert answer.verdict is Verdict.CONFLICT, answer.text
    assert sorted(v.value for v in answer.check.values) == ["1978年", "1981年"]


def test_a_value_said_of_another_one_of_a_series_is_shown_apart(archive):
    answer = archive.ask("When did Mara Quinn release her first solo album?")
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    assert [v.value for v in answer.check.values] == ["June 24, 2003"]
    assert all(a.value != "September 5, 2006" or a.reason == "another one of a series" for a in answer.check.apart)


@pytest.mark.parametrize("text, lang, places", [
    ("when did she release her first solo album?", "en", {1}),
    ("the 3rd round", "en", {3}),
    ("从1937年举行的第9届颁奖典礼开始", "zh", {9}),
    ("第二期工程何时完工", "zh", {2}),
    ("智谱首张专辑", "zh", {1}),
    ("how much did it cost?", "en", set()),
])
def test_ordinals_are_read_from_words_and_numerals(text, lang, places):
    assert ordinals_in(text, lexicon(lang)) == places


@pytest.mark.parametrize("sentence, periods", [
    ("2024年营收较2023年增长20%，达到3亿元。", {"20%": "2024", "3亿元": "2024"}),
    ("2005年農業總產值與前年相比成長了9%。", {"9%": "2005"}),
    ("Revenue in 2024 rose 20% compared with 2023.", {"20%": "2024"}),
    ("2023年与2024年营收分别为1亿元、2亿元。", {"1亿元": "2023", "2亿元": "2024"}),
    ("Revenue was $3.4 billion for 2024, up 18% from 2023.", {"$3.4 billion": "2024", "18%": "2024"}),
])
def test_a_year_compared_with_is_not_the_figures_period(sentence, periods):
    found = {c.text: c.period_label for c in sentence_claims("d", 0, 0, sentence, "2025-06-01")
             if c.value.kind.value != "date"}
    assert found == periods


def test_a_sentence_that_only_compares_with_a_year_takes_the_period_of_the_sentence_before():
    claims = sentence_claims("d", 1, 40, "公司毛利率为18%，较上年提升2.4个百分点。", "2025-03-01",
                             before="公司2024年全年销量31万辆。")
    assert {c.text: c.period_label for c in claims if c.value.kind.value != "date"} == \
        {"18%": "2024", "2.4个百分点": "2024"}


def test_a_question_asking_how_much_something_grew_admits_a_change():
    read = read_question("By what percentage did the company's revenue grow in 2024?", "2025-03-01")
    assert "change" in read.modifiers and {k.value for k in read.kinds} == {"percent"}
    assert "change" not in read_question("What was the company's revenue in 2024?", "2025-03-01").modifiers


@pytest.mark.parametrize("text, question, part, whole", [
    # a question: its asking words are left out
    ("2024年海外收入占服装业务收入的比例是多少？", True, "2024年海外收入", "服装业务收入的 是 "),
    ("服装业务收入中有多大比例来自海外？", True, "  来自海外", "服装业务收入"),  # the whole first
    # a source's sentence, up to its figure
    ("上半年，服装业务收入3亿元，占比", False, "服装业务收入3亿元", ""),  # the part is in the clause before
    ("来自海外市场的收入占比已升至", False, "来自海外市场的收入", ""),
    ("海外收入占服装业务收入的", False, "海外收入", "服装业务收入的"),
])
def test_a_share_is_read_as_its_part_and_its_whole(text, question, part, whole):
    from retriever.check.shares import Share, share_in

    assert share_in(text, lexicon("zh"), question=question) == Share(part, whole)


@pytest.mark.parametrize("text", [
    "门店收入中有三成来自线上，毛利率为",  # a question's form, in a source's sentence
    "线上收入占门店收入的30%，毛利率为",  # a share of another clause
])
def test_a_sentence_gives_no_share_to_a_figure_its_share_is_not_of(text):
    from retriever.check.shares import share_in

    assert share_in(text, lexicon("zh")) is None


def test_a_share_of_another_part_or_of_the_whole_does_not_answer_a_share_question():
    from retriever.check.shares import share_in, swapped

    zh = lexicon("zh")
    asked = share_in("海外收入占服装业务收入的比例是多少？", zh, question=True)
    assert swapped(asked, share_in("服装业务收入占比", zh), lambda w: True)  # the whole's own share
    assert swapped(asked, share_in("海外收入占公司总收入", zh), lambda w: True) is False  # not told apart
    assert not swapped(asked, share_in("来自海外市场的收入占比", zh), lambda w: True)
    assert not swapped(asked, share_in("海外收入占服装业务收入的比例为", zh), lambda w: True)  # 比例 is asked, not a part
    whole = share_in("服装业务占公司总收入的比重是多少？", zh, question=True)
    assert swapped(whole, share_in("海外收入占服装总收入", zh), lambda w: True)


def test_a_share_of_a_part_the_question_does_not_name_does_not_answer_it():
    from retriever.check.shares import other_part, share_in

    zh = lexicon("zh")
    idf = {w: 3.0 for w in ("服装", "业务", "收入", "海外", "门店", "租金", "成本", "员工")}
    terms = read_question("服装业务收入中有多大比例来自海外门店？", "2025-03-01", idf).terms

    def other(text: str) -> bool:
        return other_part(share_in(text, zh), terms, lambda w: True)

    assert other("员工成本占服装业务收入的")  # a part the question does not ask about, of the same whole
    assert not other("海外门店收入占服装业务收入的")  # the part asked
    assert not other("海外门店收入占比")
    assert not other("收入占比")  # names nothing of its own: not told apart


def test_a_verb_with_its_result_is_looked_for_by_its_verb():
    idf = {w: 3.0 for w in ("亏损", "公司", "上半年", "收入")}
    terms = read_question("公司上半年一共亏掉了多少钱？", "2025-03-01", idf).terms
    assert terms.found("公司上半年净亏损3亿元") == ("公司", "亏掉")
    assert "亏掉" not in terms.found("公司上半年收入3亿元")


def test_an_ampersand_word_is_one_token():
    from index.text import tokenize

    assert {"r&d", "at&t"} <= set(tokenize("What share of R&D went to AT&T?"))
    assert tokenize("研发R&D投入") == ["研发", "r&d", "投入"]
    assert "r&d" in read_question("How many staff work in R&D?", "2025-03-01", {"r&d": 3.0, "staff": 2.0}).terms.words


def test_a_source_that_contradicts_itself_is_shown_as_such(archive):
    answer = archive.ask("How many workers does the Orland rivet plant employ?")
    assert answer.verdict is Verdict.CONFLICT, answer.text
    assert {v.value for v in answer.check.values} == {"300 workers", "350 workers"}
    assert answer.check.contradicting == ("plant-a",)
    assert "Harbor Ledger states more than one of these values" in answer.text
    html = answer_html(answer.to_dict())
    assert 'class="fc-self"><bdi>Harbor Ledger' in html


def test_a_who_question_compares_the_names_sources_give(archive):
    # tests/test_names.py has who and where questions in full; here the wire copy's name agrees
    answer = archive.ask("Who cut the ribbon at the Harlow Bridge?")
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    assert [v.value for v in answer.check.values] == ["Dana Ruiz"]


def test_a_why_question_is_quoted_not_compared(archive):
    answer = archive.ask("Why did Mayor Dana Ruiz cut the ribbon at the Harlow Bridge?")
    assert answer.verdict is Verdict.QUOTED, answer.text
    assert answer.check is None and answer.citations
    assert "no values were compared" in answer.text


# ----------------------------------------------------------------------------- what the answer shows


def test_value_citations_point_at_the_value_in_the_quoted_sentence(archive):
    for question in ("北岭县地震造成多少人死亡？", "How much did the Harlow Bridge cost?", "澄江纺织2024年的营业收入是多少？"):
        answer = archive.ask(question)
        for c in answer.citations:
            doc = archive.index.documents[c.doc_id]
            assert doc.text[c.start:c.end] == c.quote
            if c.value:
                assert c.start <= c.value_start < c.value_end <= c.end
                assert doc.text[c.value_start:c.value_end] == c.value


def test_the_json_carries_typed_values_sources_and_the_question_as_read(archive):
    data = json.loads(json.dumps(archive.ask("北岭县地震造成多少人死亡？").to_dict(), ensure_ascii=False))
    assert data["verdict"] == "conflict" and data["verdict_title"] == "Sources disagree"
    assert data["question_read"]["kinds"] and data["question_read"]["unit"] == "person"
    for group in data["check"]["groups"]:
        assert {"value", "kind", "unit", "interval", "doc_ids", "sources", "citations", "latest_report"} <= set(group)
        for source in group["sources"]:
            assert {"doc_id", "name", "date", "reported", "citation", "label"} <= set(source)
            assert source["citation"] in group["citations"]


MILESTONE = {
    "app-a.txt": "星桥App用户数公布\n\n星桥App由一家杭州公司开发。星桥App上线两个月，注册用户已经突破100万，"
                 "公司计划明年进入东南亚市场。",
    "app-b.txt": "星橋App創下紀錄\n\n星橋App是杭州一家初創企業的產品，主打即時翻譯。推出3個月，星橋App吸引了"
                 "超過100萬名註冊用戶，其中海外用戶約佔兩成。",
    # states the milestone, but its span of time is said of another figure (paying users)
    "app-c.txt": "星桥App商业化提速\n\n星桥App注册用户超过100万，上线6个月内吸引了超过20万名付费用户。",
}
MILESTONE_SOURCES = {
    "app-a": {"publisher": "钱塘科技报", "date": "2025-06-02", "script": "Simplified"},
    "app-b": {"publisher": "港灣日報", "date": "2025-06-05", "script": "Traditional"},
    "app-c": {"publisher": "数字商业", "date": "2025-06-06", "script": "Simplified"},
}


@pytest.fixture(scope="module")
def milestone(checker_for):
    return checker_for("milestone", MILESTONE, MILESTONE_SOURCES)


def test_two_sources_timing_the_milestone_the_question_names_are_compared(milestone):
    # the two sentences share few words around the durations, but both state the 100万 users asked
    # of; the third states 100万 too, but its 6个月 is the time to 20万 paying users
    answer = milestone.ask("星桥App用了多长时间让注册用户突破100万？")
    assert answer.verdict is Verdict.CONFLICT, answer.text
    assert {v.value for v in answer.check.values} == {"两个月", "3個月"}


@pytest.mark.parametrize("question, unit", [("示范片面积有多大？", "area"), ("这座塔有多高？", "length"),
                                            ("How deep is the lake?", "length"),
                                            ("What was the area's population in 2020?", "")])
def test_a_measure_asked_by_its_noun_is_of_that_dimension(question, unit):
    assert read_question(question, "2025-01-01").unit == unit


def test_a_measure_of_another_dimension_does_not_answer():
    from index.values import parse_values
    from retriever.check.align import unit_fits

    asked = read_question("示范片面积有多大？", "2025-01-01")
    area, mass = parse_values("示范片面积1.05万亩，亩产812公斤")
    assert unit_fits(asked, area) and not unit_fits(asked, mass)


def test_a_capitalised_word_before_chinese_is_a_name_without_the_chinese():
    from retriever.check.terms import _capitalised

    assert _capitalised("星桥App推出后多久用户突破100万？") == frozenset({"app"})
    assert _capitalised("新一代GLM Coding套餐推出后多久？") == frozenset({"glm", "coding"})


def test_an_english_word_finds_the_words_of_its_family_that_its_stem_begins():
    # Snowball stems "investors" to "investor" and "invested" to "invest": one family
    terms = read_question("When did the investors back the fund?", "2025-03-01",
                          {"investors": 3.0, "invested": 3.0, "fund": 2.0, "back": 2.0}).terms
    assert "investors" in terms.found("the fund was invested in 2024")
    assert "investors" not in terms.found("the fund was inverted in 2024")


def test_a_question_asking_what_is_expected_is_answered_by_what_a_source_states(archive):
    # "expected to" in a question is how English asks of the future; a source saying "took three
    # years" states the span (a source saying "is expected to take" would still be another measure
    # for a question asking what it took)
    read = read_question("How long was building the Harlow Bridge expected to last?", "2024-03-04")
    assert {k.value for k in read.kinds} == {"duration"} and "expected" in read.modifiers
    answer = archive.ask("How long was building the Harlow Bridge expected to last?")
    assert "three years" in {v.value for v in answer.check.values}, answer.text
    # "how many … did it take" still counts
    assert {k.value for k in read_question("How many votes did it take to pass the bill?", "2024-03-04").kinds} \
        == {"count", "number"}


def test_an_asking_phrase_brings_the_word_its_answer_is_said_with():
    idf = {"depth": 3.0, "focus": 3.0, "quake": 2.0, "高度": 3.0, "塔": 2.0}
    assert "depth" in read_question("How deep was the focus of the quake?", "2025-03-01", idf).terms.words
    assert "高度" in read_question("这座塔有多高？", "2025-03-01", idf).terms.words
    # only a word the corpus uses
    assert "height" not in read_question("How tall is the tower?", "2025-03-01", idf).terms.words


def test_an_english_question_names_the_whole_and_the_part_of_a_share():
    from retriever.check.shares import Share, share_in

    en = lexicon("en")
    assert share_in("what share of the group's revenue came from cloud services in 2024?", en, question=True) \
        == Share(" cloud services in 2024", " the group's revenue ")
    assert share_in("what share of the vote did she win?", en, question=True) is None  # the whole's end unknown
    assert share_in("the share of revenue from asia rose to", en) is None  # a source's sentence: not read so


def test_a_share_of_another_part_of_the_whole_a_question_names_does_not_answer_it():
    from retriever.check.shares import other_part, share_in

    idf = {w: 3.0 for w in ("收入", "东南亚", "市场", "部署", "云端", "cloud", "revenue", "services")}
    asked = share_in("what share of the group's revenue came from cloud services?", lexicon("en"), question=True)
    terms = read_question("What share of the group's revenue came from cloud services?", "2025-03-01", idf).terms
    stated = share_in("来自东南亚市场的收入占比", lexicon("zh"))
    assert other_part(stated, terms, lambda w: True, asked)  # its part is Southeast Asia, its 收入 the whole
    assert not other_part(stated, terms, lambda w: True)  # without the question's whole, not told apart


def test_a_percent_written_with_its_sign_after_a_figure_is_a_change():
    claims = {c.text: c for c in sentence_claims("d", 0, 0, "公司2024年营收4.2亿元(+31%)，净利润0.8亿元(-8%)，毛利率为50%。",
                                                 "2025-03-01")}
    assert "change" in claims["31%"].modifiers and "change" in claims["-8%"].modifiers
    assert "change" not in claims["50%"].modifiers


def test_a_share_of_something_no_source_speaks_of_is_not_found(milestone):
    answer = milestone.ask("星桥App来自非洲的用户占比是多少？")
    assert answer.verdict is Verdict.NOT_FOUND, answer.text
    assert any("非洲" in note for note in answer.notes)
    # a place a source names, or ordinary words a source happens not to use, are no reason
    for question in ("星桥App来自东南亚的用户占比是多少？", "星桥App来自海外渠道的用户占比是多少？",
                     "星桥App的用户中有多大比例来自海外？"):
        notes = milestone.ask(question).notes
        assert not any("no source speaks of" in note for note in notes), (question, notes)


@pytest.fixture(scope="module")
def far_milestone(checker_for):
    texts = {
        "app-a.txt": "星桥App用户数公布\n\n星桥App由一家杭州公司开发。星桥App上线两个月，注册用户已经突破100万，"
                     "公司计划明年进入东南亚市场。",
        "app-b.txt": "星橋App創下紀錄\n\n星橋App是杭州一家初創企業的產品，主打即時翻譯。推出3個月，星橋App的用戶超過"
                     "100萬名，其中海外用戶約佔兩成。",
    }
    return checker_for("far-milestone", texts, MILESTONE_SOURCES)


def test_a_source_stating_the_milestone_is_compared_though_it_answers_the_question_less_well(far_milestone):
    # the second outlet words it far from the question ("推出3個月…用戶超過100萬名"), but states its figure
    answer = far_milestone.ask("星桥App的注册用户用了多久突破100万？")
    assert answer.verdict is Verdict.CONFLICT, answer.text
    assert {v.value for v in answer.check.values} == {"两个月", "3個月"}


KIN = {
    "cloud-a.txt": "星云科技今日公布年度数据。星云开放平台目前聚集了120万名开发者，较去年翻倍。公司员工约有800人，"
                   "研发人员占六成。平台日均调用量超过3亿次。",
    "cloud-b.txt": "星雲科技的開放平台匯聚超過150萬名開發者，日均調用量突破3億次。公司去年營收增長四成，員工約800人。",
}
KIN_SOURCES = {
    "cloud-a.txt": {"publisher": "科技日报", "date": "2025-03-01"},
    "cloud-b.txt": {"publisher": "數位週刊", "date": "2025-03-02", "script": "Traditional"},
}


@pytest.fixture(scope="module")
def kin_archive(checker_for):
    return checker_for("kin", KIN, KIN_SOURCES)


def test_a_source_that_words_the_verb_its_own_way_is_compared(kin_archive):
    # 聚集 (question, first outlet) and 匯聚 (second outlet): one meaning, one shared character
    answer = kin_archive.ask("星云开放平台聚集了多少名开发者？")
    assert answer.verdict is Verdict.CONFLICT, answer.text
    assert {s.doc_id for v in answer.check.values for s in v.sources} == {"cloud-a", "cloud-b"}


def test_word_kin_are_near_synonyms_sharing_a_character_never_antonyms(use_embedder):
    from retriever.check.kin import WordKin

    vocabulary = {w: 3.0 for w in ("汇聚", "聚会", "减少", "增多", "损失", "亏本", "国外", "交易所", "平台")}
    kin = WordKin(vocabulary, use_embedder.embed_queries, use_embedder.word_similarity)(["聚集", "增加", "亏损", "国内"])
    assert "汇聚" in kin["聚集"] and "损失" in kin["亏损"]
    assert "减少" not in kin["增加"] and "国外" not in kin["国内"]  # opposites sit close, not close enough
    assert "交易所" not in WordKin(vocabulary, use_embedder.embed_queries, use_embedder.word_similarity)(
        ["交易"])["交易"]  # a longer word is no near-synonym of a two-character one


def test_kin_are_never_words_set_apart_by_contrasting_characters(use_embedder):
    from retriever.check.kin import WordKin

    vocabulary = {w: 3.0 for w in ("出境", "年薪", "下游", "汇聚")}
    kin = WordKin(vocabulary, use_embedder.embed_queries, use_embedder.word_similarity)(["入境", "月薪", "上游", "聚集"])
    assert kin["入境"] == kin["月薪"] == kin["上游"] == () and kin["聚集"] == ("汇聚",)


CONTRAST = {
    "river-a.txt": "清江水文站报告，受连日降雨影响，清江上游水位昨日升至45.2米，超过警戒线。",
    "river-b.txt": "據清江水文站消息，清江下游水位昨日升至38.6米，當地已組織人員巡堤。",
    "pay-a.txt": "青禾软件公司员工平均月薪为1.2万元。",
    "pay-b.txt": "青禾软件公司员工平均年薪为18万元。",
}
CONTRAST_SOURCES = {name: {"publisher": f"outlet-{i}", "date": f"2025-04-0{i + 1}"} for i, name in enumerate(CONTRAST)}


@pytest.fixture(scope="module")
def contrast(checker_for):
    return checker_for("contrast", CONTRAST, CONTRAST_SOURCES)


@pytest.mark.parametrize("question", ["清江上游水位有多高？", "青禾软件员工平均月薪是多少？"])
def test_a_figure_of_the_contrasting_word_is_no_conflict(contrast, question):
    assert contrast.ask(question).verdict is Verdict.SINGLE_SOURCE


SUBJECT = {
    # reports on one musical (its name, the subject of every one, is all most of them share with
    # the questions below), one paragraph each, and other news
    "star-a.txt": "As of 4 May 2021, Marrow Star had sold 2.1 million tickets worldwide. The musical opened in Leeds.",
    "star-b.txt": "As of 4 May 2021, Marrow Star had sold 2.1 million tickets worldwide. Critics praised the staging.",
    "star-c.txt": "The producers of Marrow Star have not said who will write new songs for its tour; a composer "
                  "is expected to be hired soon.",
    "star-d.txt": "Marrow Star opened in Leeds to a full house.",
    **{f"tour-{city.lower()}.txt": f"The Marrow Star cast played {n} shows in {city}."
       for city, n in (("Derby", 14), ("York", 9), ("Bath", 12), ("Hull", 7), ("Ripon", 5), ("Selby", 6),
                       ("Whitby", 8), ("Ely", 4), ("Goole", 3), ("Malton", 11), ("Thirsk", 10), ("Leyburn", 2))},
    **{f"news-{i}.txt": text for i, text in enumerate((
        "The harbour board will dredge the eastern channel to let larger ferries dock.",
        "A village bakery won the regional prize for its rye loaf and seeded rolls.",
        "The coast road will shut for resurfacing while crews replace the drains.",
        "The county library now stays open late on Thursdays for students.",
        "Engineers raised the river wall after the winter storms damaged the banks.",
        "The cycling club added a junior ride on Saturday mornings around the park.",
        "Pupils planted beans and potatoes in the new school garden beside the gym.",
        "The Sunday market gained stalls selling cheese, honey and hand-made soap."))},
    **{f"weather-{town.lower()}.txt": f"Rain and a cool breeze are forecast for {town}."
       for town in ("Aldby", "Brant", "Colme", "Dunsby", "Eskdale", "Farrow", "Gilling", "Hawes", "Ingle", "Jervaulx",
                    "Kettle", "Lund", "Masham", "Nunby", "Oswald", "Pately", "Quarry", "Reeth", "Sleights", "Thorne",
                    "Ulley", "Vale", "Welby", "Yarm")},
}
SUBJECT_SOURCES = {name: {"publisher": f"outlet-{i}", "date": f"2025-05-{i % 28 + 1:02d}"} for i, name in enumerate(SUBJECT)}


@pytest.fixture(scope="module")
def subject(checker_for):
    return checker_for("subject", SUBJECT, SUBJECT_SOURCES)


def test_sources_that_share_only_the_questions_subject_are_not_said_to_agree(subject):
    # Two outlets print one sentence on the musical's ticket sales; the question asks when its
    # composer was hired, which no outlet says. Their sentence holds only the subject's words
    # (every retrieved article names the musical), none of the fact's: quoted, not compared.
    answer = subject.ask("When was the composer of Marrow Star hired?")
    assert answer.verdict is Verdict.QUOTED, answer.text
    assert any("composer" in note for note in answer.notes)
    # sources whose documents say the fact asked still agree
    answer = subject.ask("How many tickets had Marrow Star sold?")
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    assert {v.value for v in answer.check.values} == {"2.1 million tickets"}


SPEED = {
    "rail-a.txt": "青江高铁设计时速350公里，全长286公里，于2024年通车。",
    "rail-b.txt": "青江高鐵最高時速達350公里，全線長280公里。",
}
SPEED_SOURCES = {name: {"publisher": f"outlet-{i}", "date": f"2025-04-0{i + 1}"} for i, name in enumerate(SPEED)}


@pytest.fixture(scope="module")
def speed(checker_for):
    return checker_for("speed", SPEED, SPEED_SOURCES)


@pytest.mark.parametrize("question", ["青江高铁的速度有多快？", "How fast is the Qingjiang high-speed railway?"])
def test_a_speed_written_after_shisu_answers_how_fast(speed, question):
    # 时速350公里 is read as a length: a speed noun must not make the question refuse it
    answer = speed.ask(question)
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    assert {v.value for v in answer.check.values} == {"350公里"}



@pytest.mark.parametrize("question", ["智譜招股時，香港公開發售部分錄得多少倍的認購？",
                                      "How many times oversubscribed was the Hong Kong public offering tranche of Zhipu's IPO?"])
def test_of_two_listed_values_the_one_whose_words_are_all_asked_answers(fc, question):
    # "1159.46 倍的香港公開發售倍數、15.28 倍的國際發售認購倍數": 國際 is not asked, so 15.28 is
    # another tranche's figure, though both stretches hold question words
    answer = fc.ask(question)
    assert answer.verdict is Verdict.CONFLICT, answer.text
    assert {v.value for v in answer.check.values} == {"1159.46 倍", "910倍"}



def test_a_magnitude_alone_counts_no_people_but_a_bare_number_may():
    from index.values import parse_values
    from retriever.check.align import unit_fits

    (alone,) = parse_values("公司营收首度破千亿")
    (bare,) = parse_values("员工总数超过1.9万")
    for question in ("这家公司目前有多少名员工？", "這家公司有多少員工？", "How many employees does the company have?"):
        asked = read_question(question, "2025-01-01")
        assert not unit_fits(asked, alone) and unit_fits(asked, bare), question


def test_a_list_item_without_words_of_its_own_takes_the_first_items_not_the_opening_words():
    from index.values import parse_values
    from retriever.check.align import value_view

    text = "亏损增速快于营收:2022年净亏1.44亿元,2023年7.88亿元,2024年29.58亿元"
    values = parse_values(text)
    spans = [(v.start, v.end) for v in values]
    later = next(v for v in values if v.text == "7.88亿元")
    view = value_view(text, later.start, later.end, spans)[0]
    assert "净亏" in view and "营收" not in view


def test_a_source_whose_tied_answers_include_the_leading_figure_corroborates_it(fc):
    # 赛乐咨询 lists H1 revenue 1.91亿元 and, in another sentence, on-premise revenue 1.62亿元: the
    # two score alike for an English question; the figure the other sources give is its answer
    answer = fc.ask("How much revenue did Zhipu book in the first half of 2025?")
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    assert len({s.doc_id for v in answer.check.values for s in v.sources}) >= 3


def _candidates(doc_id: str, sentence_id: int, text: str, scores: dict[str, float]):
    """The alignment's candidates for the figures of one invented sentence, at given scores."""
    from retriever.answer import ScoredSentence
    from retriever.check.align import Candidate

    sentence = ScoredSentence(1.0, sentence_id, None, 0, len(text), text)  # type: ignore[arg-type]
    return [Candidate(c, sentence, scores[c.value.text], 0.6, None, 1.0, 0.0)
            for c in sentence_claims(doc_id, sentence_id, 0, text, "2025-12-01") if c.value.text in scores]


def test_a_source_giving_the_leading_figure_is_not_compared_on_a_lesser_figure_that_shares_a_word():
    # The second outlet states the leading figure (worded apart from the question, so its words
    # around it differ from the leader's) and, lower, another figure of another measure whose
    # clause shares a word with the leader's ("达"): that lesser figure is not its answer.
    from retriever.check.align import AlignPolicy, _per_source

    leader = _candidates("a", 1, "2025年上半年,星河科技研发费用达9.87亿元。", {"9.87亿元": 1.0})[0]
    same = _candidates("b", 2, "2025年上半年進一步攀升至9.87億元。", {"9.87億元": 0.7})
    loss = _candidates("b", 3, "今年上半年,星河科技凈虧損卻達12.34億元。", {"12.34億元": 0.6})
    assert same and loss

    def alike(c, other):  # what the words around the values share: the loss clause a little
        return 1.0 if c is other else 0.0 if c.value.overlaps(leader.value) else 0.15

    policy = AlignPolicy()
    assert alike(loss[0], leader) >= policy.same_context > alike(same[0], leader)
    chosen, ambiguous, _ = _per_source([leader, *same, *loss], policy, alike, lambda c, o: False,
                                       lambda a, b: 1.0, lambda c: frozenset(), lambda c: frozenset())
    assert [(c.doc_id, c.value.text) for c in chosen] == [("a", "9.87亿元")] and not ambiguous
    # without the leading figure in it, the same source's figure said of what the leader's is
    # said of is still compared
    chosen, _, _ = _per_source([leader, *loss], policy, alike, lambda c, o: False,
                               lambda a, b: 1.0, lambda c: frozenset(), lambda c: frozenset())
    assert ("b", "12.34億元") in [(c.doc_id, c.value.text) for c in chosen]



def test_of_listed_counts_the_one_counting_the_asked_noun_answers(fc):
    # The README's example: 赛乐咨询 writes "拥有机构客户超1.2万家,开发者超4500万,终端设备部署超8000万台".
    # For the English question the three score within the contrast margin, and 开发者超4500万 has no
    # word of its own the question does not ask (机构客户超1.2万家 has 机构): but it counts developers,
    # and 1.2万家 the customers asked about
    answer = fc.ask("How many enterprise customers does Zhipu have?")
    shown = {v.value for v in answer.check.values}
    assert not any("4500" in v for v in shown), answer.text
    twelve = [v for v in answer.check.values if "1.2" in v.value or "12000" in v.value]
    assert len({s.doc_id for v in twelve for s in v.sources}) >= 4, answer.text


# Outlets counting a company's staff, developers and customers; one writes each count after its noun. Invented.
COUNTS = {
    "a.txt": "蓝鲸软件目前拥有职工1800人，开发者社区用户超过50万，合作伙伴300家。",
    "b.txt": "蓝鲸软件拥有员工1800人，注册开发者超过50万，合作伙伴超过300家。",
    "c.txt": "蓝鲸软件客户数1.2万家，开发者数50万，终端数8000万台。",
    "d.txt": "蓝鲸软件服务企业客户1.2万家，开发者超过50万人。",
    "e.txt": "蓝鲸软件2024年营收为12亿元。",
    "f.txt": "Bluewhale Soft has a staff of 1,800, more than 500,000 developers and 300 partners.",
    "g.txt": "Bluewhale Soft employs 1,800 people and counts 500,000 developers and 300 partner firms.",
    "h.txt": "Bluewhale Soft: customers 12,000; developers 500,000; devices 80 million.",
    "i.txt": "Bluewhale Soft serves 12,000 business customers and 500,000 developers.",
}


@pytest.fixture(scope="module")
def counts(checker_for):
    return checker_for("counts", COUNTS)


def test_of_a_sentences_counts_the_one_counting_the_asked_noun_answers(counts):
    # "客户数1.2万家，开发者数50万": the question's 开发者 stands right after 1.2万家, which counts
    # customers; 50万 counts the developers asked about, so it is the sentence's answer
    answer = counts.ask("蓝鲸软件有多少开发者？")
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    assert {v.value for v in answer.check.values} <= {"50万", "超过50万人", "超过50万"}, answer.text
    assert len({s.doc_id for v in answer.check.values for s in v.sources}) >= 2
