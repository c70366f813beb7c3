"""index.text: folding, normalising, tokenizing, sentence splitting, script detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.text import (
    detect_script,
    display_script,
    fold,
    has_cjk,
    is_probably_text,
    normalise,
    sentence_spans,
    tokenize,
)

# Text drawn from what the corpus is made of: CJK ideographs, full-width forms,
# ideographic space, ASCII, Chinese punctuation and newlines.
_CJK_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
        st.sampled_from("\u3000。！？；，、“”「」（）\n .!?3"),
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    ),
    max_size=200,
)


# --------------------------------------------------------------------- fold


@pytest.mark.parametrize(
    "original, expected",
    [
        ("智譜華章", "智谱华章"),
        ("淨虧損達23.58億元", "净亏损达23.58亿元"),
        ("港交所網站披露", "港交所网站披露"),
        ("３．１２４億元", "3.124亿元"),  # full-width digits and full stop
        ("ＯｐｅｎＡＩ", "OpenAI"),
        ("（圖：Ｓｈｕｔｔｅｒｓｔｏｃｋ）", "(图:Shutterstock)"),
        ("你好\u3000世界", "你好 世界"),  # ideographic space
        ("already simplified 智谱", "already simplified 智谱"),
    ],
)
def test_fold_converts_traditional_and_full_width(original, expected):
    assert fold(original) == expected
    assert len(fold(original)) == len(original)


def test_fold_of_empty_string():
    assert fold("") == ""


@settings(max_examples=200, deadline=None)
@given(_CJK_TEXT)
def test_fold_keeps_length_on_any_text(text):
    assert len(fold(text)) == len(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=100))
def test_fold_keeps_length_even_with_lone_surrogates_and_controls(text):
    assert len(fold(text)) == len(text)


def test_fold_keeps_length_on_every_seed_article(seed_docs):
    # Offsets found in folded text are used on the original: lengths must agree.
    for doc in seed_docs.values():
        folded = fold(doc.text)
        assert len(folded) == len(doc.text), doc.doc_id


def test_fold_spans_map_back_to_the_original(seed_docs, seed_ids):
    doc = seed_docs[seed_ids["000"]]
    folded = fold(doc.text)
    at = folded.find("净亏损达23.58亿元")
    assert at >= 0
    assert doc.text[at:at + len("淨虧損達23.58億元")] in ("凈虧損達23.58億元", "淨虧損達23.58億元")


# --------------------------------------------------------------------- normalise


def test_normalise_folds_lowercases_and_collapses_spaces():
    assert normalise("  智譜　ＡＩ\n\n公司  OpenAI ") == "智谱 ai 公司 openai"


def test_normalise_same_for_traditional_and_simplified():
    assert normalise("北京智譜華章科技股份有限公司") == normalise("北京智谱华章科技股份有限公司")


# --------------------------------------------------------------------- tokenize


def test_tokenize_drops_punctuation_and_stopwords():
    assert tokenize("的了是什么，。！？……  the of and") == []
    tokens = tokenize("智谱的净亏损是多少？")
    assert "智谱" in tokens
    assert not {"的", "是", "多少", "？", "?"} & set(tokens)
    assert all(any(c.isalnum() for c in t) for t in tokens)


def test_tokenize_english_drops_function_words_and_lowercases():
    tokens = tokenize("What was the revenue of Zhipu in 2024?")
    assert "revenue" in tokens and "zhipu" in tokens
    assert not {"what", "was", "the", "of", "in", "?"} & set(tokens)


@pytest.mark.parametrize(
    "traditional, simplified",
    [
        ("智譜的凈虧損是多少？", "智谱的净亏损是多少？"),
        ("智譜的淨虧損是多少？", "智谱的净亏损是多少？"),
        ("北京智譜華章科技股份有限公司已通過聆訊", "北京智谱华章科技股份有限公司已通过聆讯"),
        ("港股上市首日飆漲近12%", "港股上市首日飙涨近12%"),
        ("清華大學技術成果轉化", "清华大学技术成果转化"),
        ("ＧＬＭ－４．７模型發佈", "GLM-4.7模型发布"),
    ],
)
def test_tokenize_traditional_and_simplified_give_same_tokens(traditional, simplified):
    assert tokenize(traditional) == tokenize(simplified)
    assert tokenize(traditional)  # not trivially equal because both are empty


def test_tokenize_is_script_independent_on_seed_sentences(seed_docs, seed_ids):
    # Every Simplified sentence of 001 and 003, converted to Traditional by
    # OpenCC's s2t (independent of the t2s used inside fold), tokenizes the same.
    mismatches = []
    for key in ("001", "003"):
        doc = seed_docs[seed_ids[key]]
        for start, end in sentence_spans(doc.text):
            sentence = doc.text[start:end]
            traditional = display_script(sentence, "Traditional")
            if tokenize(sentence) != tokenize(traditional):
                mismatches.append(sentence)
    assert not mismatches, mismatches[:3]


# --------------------------------------------------------------------- sentence_spans


def _sentences(text, *args):
    return [text[s:e] for s, e in sentence_spans(text, *args)]


def test_sentence_spans_split_on_chinese_ends_and_newlines():
    text = "第一句。第二句！第三句？第四句；第五句\n第六句"
    assert _sentences(text) == ["第一句。", "第二句！", "第三句？", "第四句；", "第五句", "第六句"]


def test_sentence_spans_keep_decimal_numbers_whole():
    text = "2024年收入達到3.124億元，市場份額為6.6%。下一句。"
    assert _sentences(text) == ["2024年收入達到3.124億元，市場份額為6.6%。", "下一句。"]


def test_sentence_spans_keep_closing_quotes_with_their_sentence():
    text = "他說：「收入達到3.124億元。」然後呢？公司表示“我们很好。”随后上市。"
    assert _sentences(text) == ["他說：「收入達到3.124億元。」", "然後呢？", "公司表示“我们很好。”", "随后上市。"]


def test_sentence_spans_latin_full_stop_needs_following_space():
    text = "Version 3.5 shipped. Next sentence follows."
    assert _sentences(text) == ["Version 3.5 shipped.", "Next sentence follows."]


def test_sentence_spans_run_of_end_marks_is_one_boundary():
    assert _sentences("真的吗？！好的……") == ["真的吗？！", "好的……"]


def test_sentence_spans_trim_whitespace_and_skip_blank_lines():
    text = "  第一句。  \n\n\n   第二句  \n  "
    assert _sentences(text) == ["第一句。", "第二句"]


def test_sentence_spans_respect_start_and_end():
    text = "甲句。乙句。丙句。丁句。"
    start, end = text.index("乙"), text.index("丁")
    spans = list(sentence_spans(text, start, end))
    assert [text[s:e] for s, e in spans] == ["乙句。", "丙句。"]
    assert all(start <= s < e <= end for s, e in spans)


@settings(max_examples=200, deadline=None)
@given(_CJK_TEXT)
def test_sentence_spans_cover_all_text_in_order(text):
    spans = list(sentence_spans(text))
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip()
        # nothing but whitespace is skipped between sentences
        assert text[previous_end:start].strip() == ""
        previous_end = end
    assert text[previous_end:].strip() == ""


def test_sentence_spans_slice_back_on_seeds(seed_docs):
    for doc in seed_docs.values():
        spans = list(sentence_spans(doc.text))
        assert len(spans) > 20
        for start, end in spans:
            sentence = doc.text[start:end]
            assert sentence and sentence == sentence.strip()
    # A known sentence of 000 comes out whole, with its decimal number.
    doc = next(d for d in seed_docs.values() if d.doc_id.startswith("000"))
    sentences = [doc.text[s:e] for s, e in sentence_spans(doc.text)]
    assert any(s.startswith("根據招股書披露") and "3.124億元" in s and s.endswith("。") for s in sentences)


# --------------------------------------------------------------------- scripts


@pytest.mark.parametrize(
    "key, expected",
    [("000", "Traditional"), ("001", "Simplified"), ("002", "Traditional"), ("003", "Simplified"), ("004", "Traditional")],
)
def test_detect_script_on_seeds(seed_docs, seed_ids, key, expected):
    assert detect_script(seed_docs[seed_ids[key]].text) == expected


def test_detect_script_latin_and_short_texts():
    assert detect_script("Only English words here.") == "Latin"
    assert detect_script("") == "Latin"
    assert detect_script("這是繁體中文的句子，說明臺灣與香港的寫法。") == "Traditional"
    assert detect_script("这是简体中文的句子，说明大陆的写法。") == "Simplified"


def test_display_script_converts_both_ways():
    assert display_script("智譜華章", "Simplified") == "智谱华章"
    assert display_script("智谱华章", "Traditional") == "智譜華章"
    assert display_script("智譜华章", "original") == "智譜华章"


def test_has_cjk():
    assert has_cjk("What is 智谱?")
    assert not has_cjk("What is Zhipu?")


def test_is_probably_text():
    assert is_probably_text("普通的中文文本。\nPlain text.\t")
    assert is_probably_text("")
    assert not is_probably_text("\x01\x02\x03\x04\x05abc" * 10)
