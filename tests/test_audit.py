"""The audit on small archives written for it: what is a disagreement and what is not, the
typed result, the library's errors and the ``factcheck audit`` command."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from index import Settings, build_index
from retriever import FactChecker
from retriever.audit import AuditError, AuditReport, FactStatus

# Two outlets on one (invented) company: one sentence printed with a figure changed, one printed
# unchanged, one restated with a hedge, another period and another measure.
WIRE_A = ("青河公司2024年营收为8.6亿元，同比增长35%。\n"
          "公司在全国设有门店420家，员工总数约为3100人。\n"
          "2023年，青河公司营收为6.4亿元。\n"
          "青河公司2024年经调整净亏损为1.2亿元。\n")
WIRE_B = ("青河公司2024年营收为5.9亿元，同比增长35%。\n"
          "公司在全国设有门店420家，员工总数为3124人。\n"
          "2022年，青河公司营收为4.1亿元。\n"
          "青河公司2024年净亏损为2.3亿元。\n")
SOURCES = {"wire-a": {"publisher": "Morning Wire", "date": "2025-03-01"},
           "wire-b": {"publisher": "Evening Post", "date": "2025-03-05"}}


@pytest.fixture(scope="module")
def wire_index(tmp_path_factory, use_embedder, corpus_writer) -> Path:
    corpus = corpus_writer(tmp_path_factory.mktemp("wire") / "corpus", {"wire-a.txt": WIRE_A, "wire-b.txt": WIRE_B},
                           SOURCES)
    settings = Settings(corpus_dir=corpus, index_dir=corpus.parent / "index")
    build_index(settings, embedder=use_embedder, progress=False)
    return Path(settings.index_dir)


@pytest.fixture(scope="module")
def wire(wire_index) -> AuditReport:
    return FactChecker.load(index_dir=wire_index, rebuild=False).audit()


def _values(fact) -> set[str]:  # type: ignore[no-untyped-def]
    return {v.value for v in fact.values}


def test_a_figure_changed_in_one_outlet_is_a_disagreement(wire):
    revenue = [f for f in wire.disagreements if "8.6亿元" in _values(f)]
    assert len(revenue) == 1
    fact = revenue[0]
    assert fact.status is FactStatus.DISAGREE and _values(fact) == {"8.6亿元", "5.9亿元"}
    assert fact.period == "2024" and fact.gap > 0.3 and 0 < fact.strength <= 1
    names = {s.name for v in fact.values for s in v.sources}
    assert names == {"Morning Wire", "Evening Post"}
    latest = [v for v in fact.values if v.latest]
    assert [v.value for v in latest] == ["5.9亿元"]  # the later report, marked (not called right)
    assert "多少" in fact.question and fact.command.startswith('factcheck ask "')


def test_roundings_hedges_other_periods_and_measures_are_not_disagreements(wire):
    listed = set().union(*(_values(f) for f in wire.disagreements))
    assert not listed & {"约为3100人", "3124人", "6.4亿元", "4.1亿元", "1.2亿元", "2.3亿元", "420家", "35%"}
    assert len(wire.disagreements) == 1


def test_facts_both_outlets_state_alike_are_corroborated(wire):
    agreed = {v.value for f in wire.corroborated for v in f.values}
    assert {"35%", "420家"} <= agreed
    staff = [f for f in wire.corroborated if any(s.value == "3124人" for v in f.values for s in v.sources)]
    assert len(staff) == 1 and staff[0].status is FactStatus.AGREE and staff[0].sources == 2  # 约3100 and 3124
    assert wire.compared >= len(wire.disagreements) + len(wire.corroborated)


def test_the_report_is_json_and_markdown_with_exact_citations(wire, wire_index):
    fc = FactChecker.load(index_dir=wire_index, rebuild=False)
    data = json.loads(json.dumps(wire.to_dict(), ensure_ascii=False))
    assert data["counts"]["documents"] == 2 and data["counts"]["statements"] >= 10
    for fact in data["disagreements"] + data["corroborated"]:
        for v in fact["values"]:
            for s in v["sources"]:
                text = fc.index.documents[s["doc_id"]].text
                assert text[s["span"][0]:s["span"][1]] == s["quote"]
                assert text[s["value_span"][0]:s["value_span"][1]] == s["value"]
    md = wire.to_markdown()
    assert "**1 disagreements**" in md and "8.6亿元" in md and "Evening Post" in md and "factcheck ask" in md


def test_min_sources_filters_the_corroborated_list_and_is_checked(wire_index):
    fc = FactChecker.load(index_dir=wire_index, rebuild=False)
    assert fc.audit(min_sources=3).corroborated == ()  # two outlets only
    for bad in (1, 0, True, 2.5, "2"):
        with pytest.raises(AuditError, match="min_sources must be a whole number of at least 2"):
            fc.audit(min_sources=bad)  # type: ignore[arg-type]


def test_an_archive_with_one_document_has_nothing_to_compare(tmp_path, use_embedder, corpus_writer):
    corpus = corpus_writer(tmp_path / "corpus", {"only.txt": WIRE_A})
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, embedder=use_embedder, progress=False)
    report = FactChecker.load(index_dir=settings.index_dir, rebuild=False).audit()
    assert report.disagreements == () and report.corroborated == () and report.compared == 0


# Two more outlets on another (invented) company, each line a pair that the audit's rules must
# keep apart (or, the last, list): changes of two different figures, one kind of sentence on two
# occasions, two numbered products, two events that began in two years, figures 3x apart.
RULES_A = ("蓝湾集团归属于股东的净利润为3.2亿元，同比增长40%。\n"
           "蓝湾集团3月27日召开2024年股东大会。\n"
           "蓝湾集团今年5月发布了旗舰手机LX-2，主打影像功能。\n"
           "2019年起，蓝湾集团开始向东南亚出口整车。\n"
           "蓝湾集团在全省共有加盟网点120个。\n"
           "蓝湾集团现有员工总数为3100人。\n")
RULES_B = ("蓝湾集团全年实现营业收入18.5亿元，同比增长18%。\n"
           "蓝湾集团6月18日召开2025年股东大会。\n"
           "蓝湾集团今年9月发布了旗舰手机LX-3，主打续航能力。\n"
           "2021年起，国内新能源汽车价格战进入白热化。\n"
           "蓝湾集团在全省的加盟网点达到400个。\n"
           "蓝湾集团现有员工总数为2300人。\n")


def _index_of(folder: Path, files: dict[str, str], sources: dict[str, dict[str, str]], embedder,  # type: ignore[no-untyped-def]
              corpus_writer) -> Path:
    """The index of an archive of ``files`` laid out under ``folder``."""
    corpus = corpus_writer(folder / "corpus", files, sources)
    settings = Settings(corpus_dir=corpus, index_dir=folder / "index")
    build_index(settings, embedder=embedder, progress=False)
    return Path(settings.index_dir)


def _audit_of(folder: Path, files: dict[str, str], sources: dict[str, dict[str, str]], embedder,  # type: ignore[no-untyped-def]
              corpus_writer) -> AuditReport:
    """The audit of an archive of ``files`` laid out under ``folder``."""
    index_dir = _index_of(folder, files, sources, embedder, corpus_writer)
    return FactChecker.load(index_dir=index_dir, rebuild=False).audit()


@pytest.fixture(scope="module")
def rules(tmp_path_factory, use_embedder, corpus_writer) -> AuditReport:
    return _audit_of(tmp_path_factory.mktemp("rules"), {"bay-a.txt": RULES_A, "bay-b.txt": RULES_B},
                     {"bay-a": {"publisher": "Harbour Daily", "date": "2025-10-01"},
                      "bay-b": {"publisher": "Bay Times", "date": "2025-10-02"}}, use_embedder, corpus_writer)


def test_only_the_changed_figure_of_one_fact_is_a_disagreement(rules):
    listed = [_values(f) for f in rules.disagreements]
    assert {"3100人", "2300人"} in listed  # the control: one sentence, a figure changed
    # a change is compared by what changed: profit +40% and revenue +18% are two facts
    assert not any({"40%", "18%"} & v for v in listed), listed
    # one kind of sentence on two dates elsewhere in it: two meetings, not one fact
    assert not any({"3月27日", "6月18日"} & v for v in listed), listed
    # LX-2 and LX-3 are two products: their release months are two facts
    assert not any({"今年5月", "今年9月"} & v for v in listed), listed
    # "2019年起" and "2021年起" start two different things
    assert not any({"2019年", "2021年"} & v for v in listed), listed
    # 120 and 400 outlets worded apart, more than 2.5 times apart: not taken for one fact
    assert not any({"120个", "400个"} & v for v in listed), listed
    assert len(listed) == 1, listed


def test_numbered_names_are_read_as_written():
    from retriever.audit.statements import numbered_names

    assert numbered_names("今年 7 月,公司發布了旗艦模型 GLM-4.5") == {"glm-4.5"}
    assert numbered_names("the A380 and COVID-19, then B6輪融資") == {"a380", "covid-19", "b6"}
    assert numbered_names("GLM 4.6 in 2024年, 3.5 years") == frozenset()


# Two more outlets on an invented app, worded apart: one count of one counted noun (creators),
# the time the app took to pass one revenue figure (written with no number: 破亿, 過億), and the
# time it took to reach another figure, which is another fact.
REACH_A = ("松果记账是杭州松果科技推出的记账应用，主打自动分类与家庭账本。\n"
           "松果记账平台目前已聚拢了85万创作者，海外市场也在拓展。\n"
           "松果记账App上线两个月，全球付费用户已经超过12万，年度经常性收入快速破亿。\n")
REACH_B = ("松果記賬是杭州松果科技推出的記賬應用，主打自動分類與家庭賬本。\n"
           "財報顯示，松果記賬去年營收3.2億元，目前平台已匯聚超 120 萬創作者，記賬訂閱產品上線半年即實現過億年度經常性收入。\n"
           "松果記賬上線三個月內，下載量突破 500 萬次。\n")


@pytest.fixture(scope="module")
def reach(tmp_path_factory, use_embedder, corpus_writer) -> AuditReport:
    return _audit_of(tmp_path_factory.mktemp("reach"), {"pine-a.txt": REACH_A, "pine-b.txt": REACH_B},
                     {"pine-a": {"publisher": "Pine Daily", "date": "2025-11-01"},
                      "pine-b": {"publisher": "Cone Weekly", "date": "2025-11-03"}}, use_embedder, corpus_writer)


def test_counts_of_one_counted_noun_worded_apart_are_one_fact(reach):
    listed = [_values(f) for f in reach.disagreements]
    assert {"85万", "超 120 萬"} in listed, listed


def test_times_taken_to_reach_one_figure_are_one_fact_whatever_their_ratio(reach):
    listed = [_values(f) for f in reach.disagreements]
    assert {"两个月", "半年"} in listed, listed  # two months and half a year to pass 100 million
    # three months to 5 million downloads is another fact than two months to 120,000 users
    assert not any({"两个月", "三個月"} <= v for v in listed), listed


def test_a_duration_is_read_as_the_time_to_reach_the_figures_after_it():
    from index.claims import sentence_claims
    from retriever.audit.statements import milestones

    sentence = "该应用上线两个月，付费用户超过12万，收入增长30%，年收入破亿。"
    claims = sentence_claims("a", 0, 0, sentence, "2025-01-01", "")
    duration = next(c for c in claims if c.value.text == "两个月")
    assert [c.value.text for c in milestones(duration, claims)] == ["超过12万", "破亿"]  # not the change
    assert milestones(claims[-1], claims) == []  # a figure reaches nothing


def test_the_counted_noun_is_the_word_right_after_a_count():
    from index.values import lexicon, parse_values
    from retriever.audit.statements import counted_noun

    for text, lang, noun in (("平台聚集了270万开发者", "zh", "=开发者"), ("匯聚超 300 萬開發者。", "zh", "=开发者"),
                             ("共有15个岛屿", "zh", "岛屿"), ("it drew 40,000 runners", "en", "=参赛者"),
                             ("用户数超290万。", "zh", ""), ("营收3.1亿元", "zh", "")):
        value = parse_values(text)[-1]
        assert counted_noun(text, value.end, value, lexicon(lang)) == noun, text


# Two outlets on an invented school, worded apart: one admission rate, whose clause in the first
# leaves what it is of (the key class) to the clause before it, and whose clause in the second
# names the class but leaves "录取率" to the clause after it: no word around the two values is shared.
ELSEWHERE_A = ("滨江一中是滨江市历史最悠久的公立中学，今年中考报名人数再创新高。\n"
               "以滨江一中重点班今年招生960人计算，今年中考录取率约为8%。\n"
               "学校还将在暑假开放校园参观日。\n")
ELSEWHERE_B = ("濱江一中是濱江市歷史最悠久的公立中學，今年中考報名人數再創新高。\n"
               "濱江一中重點班的招生比例為13%，錄取率為近五年最低。\n"
               "學校還將在暑假開放校園參觀日。\n")


@pytest.fixture(scope="module")
def elsewhere_index(tmp_path_factory, use_embedder, corpus_writer) -> Path:
    return _index_of(tmp_path_factory.mktemp("elsewhere"), {"school-a.txt": ELSEWHERE_A, "school-b.txt": ELSEWHERE_B},
                     {"school-a": {"publisher": "River Daily", "date": "2025-07-01"},
                      "school-b": {"publisher": "Riverside Post", "date": "2025-07-02"}}, use_embedder, corpus_writer)


def test_a_figure_whose_clause_leaves_its_subject_to_another_clause_is_found(elsewhere_index):
    from retriever.audit import AuditPolicy
    from retriever.audit.scan import audit_index

    index = FactChecker.load(index_dir=elsewhere_index, rebuild=False).index
    listed = [_values(f) for f in audit_index(index).disagreements]
    assert {"约为8%", "13%"} in listed, listed
    # the control: the words around the two values alone do not make them one fact
    alone = [_values(f) for f in audit_index(index, policy=AuditPolicy(elsewhere=False)).disagreements]
    assert {"约为8%", "13%"} not in alone, alone


def test_the_words_said_elsewhere_leave_out_the_stretches_of_figures_of_the_same_family():
    from index.claims import sentence_claims
    from index.values import lexicon
    from retriever.audit.statements import words_elsewhere

    sentence = "按景区核定承载量5万人计算，国庆当天游客接待率达96%，停车位使用率为88%。"
    claims = sentence_claims("a", 0, 0, sentence, "2025-10-08", "")
    start = {c.value.text: c.value.start for c in claims}
    words = words_elsewhere(sentence, claims, lexicon("zh"))
    rate = words[start["96%"]]
    assert {"景区", "计算"} <= rate  # the clause before, of a count, says what is received
    assert not {"国庆", "接待"} & rate  # its own stretch
    assert not {"停车位", "使用率"} & rate  # another rate's: said of 88%
    count = words[start["5万人"]]
    assert {"接待", "停车位"} <= count and "景区" not in count  # no other count in the sentence
    assert words[start["88%"]] == rate  # two rates: each leaves out both stretches


def test_a_split_that_a_gold_conflict_sets_apart_is_no_false_alarm():
    from retriever.audit.evaluation import GoldFact, GoldValue, score_audit

    a, b, c = GoldValue("d1", "270万", 2.7e6), GoldValue("d2", "300万", 3e6), GoldValue("d3", "4500万", 4.5e7)
    conflict = GoldFact("platform", "conflict", ((a,), (b,)))
    other = GoldFact("all_vs_platform", "different measure", ((c,), (a, b)))
    row = {"values": [{"sources": [{"doc_id": "d1", "number": 2.7e6, "value": "270万"}]},
                      {"sources": [{"doc_id": "d2", "number": 3e6, "value": "300万"}]}]}
    score = score_audit({"disagreements": [row]}, [conflict, other])
    assert score.found == ["platform"] and score.false_alarms == []
    wrong = {"values": [row["values"][0], {"sources": [{"doc_id": "d3", "number": 4.5e7, "value": "4500万"}]}]}
    assert score_audit({"disagreements": [wrong]}, [conflict, other]).false_alarms == ["all_vs_platform"]


# ----------------------------------------------------------------------------- factcheck audit


def _run(exe: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=dict(os.environ), timeout=300)


def test_factcheck_audit_prints_the_disagreements_with_citations(factcheck_exe, cli_index_dir, seed_ids):
    result = _run(factcheck_exe, "audit", "--index", str(cli_index_dir), "--no-rebuild")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Audit of 5 documents:") and "DISAGREEMENTS" in out and "CORROBORATED" in out
    assert "17.52亿元" in out and "23.58" in out and seed_ids["001"] in out and "chars " in out
    assert 'ask: factcheck ask "' in out
    assert max(len(line) for line in out.splitlines()) <= 90  # wrapped (wide characters count two columns)


def test_factcheck_audit_json_and_markdown(factcheck_exe, cli_index_dir, fc):
    result = _run(factcheck_exe, "audit", "--index", str(cli_index_dir), "--json", "--no-rebuild")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    expected = fc.audit().to_dict()
    assert [f["label"] for f in data["disagreements"]] == [f["label"] for f in expected["disagreements"]]
    md = _run(factcheck_exe, "audit", "--index", str(cli_index_dir), "--markdown", "--no-rebuild")
    assert md.returncode == 0 and md.stdout.startswith("## Audit: what the sources disagree on")


@pytest.mark.parametrize("args, message", [(("--min-sources", "1"), "--min-sources must be at least 2"),
                                           (("--limit", "0"), "--limit must be at least 1")])
def test_factcheck_audit_bad_options_are_clean_errors(factcheck_exe, cli_index_dir, args, message):
    result = _run(factcheck_exe, "audit", "--index", str(cli_index_dir), "--no-rebuild", *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"factcheck: error: {message} (a fact is compared only when two sources state it)" \
        or message in result.stderr


def test_factcheck_audit_help_and_missing_index(factcheck_exe, tmp_path):
    help_ = _run(factcheck_exe, "audit", "--help")
    assert help_.returncode == 0 and "--min-sources" in help_.stdout and "--markdown" in help_.stdout
    missing = _run(factcheck_exe, "audit", "--index", str(tmp_path / "none"), "--no-rebuild")
    assert missing.returncode == 2 and missing.stderr.startswith("factcheck: error:") and "Traceback" not in missing.stderr


def test_document_neighbours_from_the_graph_match_the_exact_ones():
    import numpy as np

    from retriever.audit.facts import neighbours

    rng = np.random.default_rng(7)
    centres = rng.normal(size=(40, 64))
    docs = np.repeat(centres, 5, axis=0) + 0.3 * rng.normal(size=(200, 64))  # 40 events, 5 reports each
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    exact = set(neighbours(docs, 6, 0.6, exact_up_to=10_000))
    graph = set(neighbours(docs, 6, 0.6, exact_up_to=0))
    assert exact and all(a // 5 == b // 5 for a, b in exact)  # only reports of one event are that alike
    assert len(exact & graph) >= 0.95 * len(exact) and all(a // 5 == b // 5 for a, b in graph)
    assert all(a < b for a, b in graph)
