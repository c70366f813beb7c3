"""index.corpus: decoding files, refusing bad ones, page furniture, metadata, duplicates."""

from __future__ import annotations

import random
import re

import pytest

from index import SEEDS_DIR, CorpusError, chunk_documents, load_corpus, read_document
from index.corpus import MAX_EXAMPLES, Document, content_spans, is_furniture, read_examples

SIMPLIFIED = "智谱2024年收入达到3.124亿元，市场份额为6.6%。\n公司于2019年成立，由清华大学技术成果转化而来。\n"
TRADITIONAL = "智譜2024年收入達到3.124億元，市場份額為6.6%。\n公司於2019年成立，由清華大學技術成果轉化而來。\n"


# --------------------------------------------------------------------- decoding


@pytest.mark.parametrize(
    "text, codec, label",
    [
        (SIMPLIFIED, "utf-8", "utf-8"),
        (TRADITIONAL, "utf-8", "utf-8"),
        (SIMPLIFIED, "utf-8-sig", "utf-8"),  # with a BOM
        (TRADITIONAL, "utf-8-sig", "utf-8"),
        (SIMPLIFIED, "gb18030", "gb18030"),
        (TRADITIONAL, "gb18030", "gb18030"),
        (TRADITIONAL, "big5", "big5"),
        (SIMPLIFIED, "utf-16", "utf-16"),  # with its BOM
    ],
)
def test_read_document_decodes_encodings(tmp_path, text, codec, label):
    path = tmp_path / "article.txt"
    path.write_bytes(text.encode(codec))
    doc = read_document(path)
    assert doc.text == text
    assert not doc.text.startswith("\ufeff")
    assert doc.encoding == label


@pytest.mark.parametrize("key, codec", [("000", "big5"), ("002", "big5"), ("004", "big5"), ("001", "gb18030"), ("003", "gb18030")])
def test_whole_seed_articles_survive_legacy_encodings(tmp_path, seed_docs, seed_ids, key, codec):
    original = seed_docs[seed_ids[key]].text
    data = original.encode(codec)  # every seed character exists in its script's legacy codec
    path = tmp_path / f"{key}.txt"
    path.write_bytes(data)
    doc = read_document(path)
    assert doc.text == original
    assert doc.encoding == codec


def test_crlf_line_ends_become_newlines(tmp_path):
    path = tmp_path / "dos.txt"
    path.write_bytes(SIMPLIFIED.replace("\n", "\r\n").encode("utf-8"))
    doc = read_document(path)
    assert "\r" not in doc.text
    assert doc.text == SIMPLIFIED
    for start, end in doc.content_spans:
        assert doc.text[start:end].strip() == doc.text[start:end]


def _png_bytes() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00" + bytes(range(256))


def _undecodable_bytes() -> bytes:
    # Bytes that are neither UTF-8 nor GB18030 nor Big5 (0xFF is not a lead byte
    # in any of them), with no NULs so the binary sniffing does not catch them first.
    rng = random.Random(7)
    return bytes(rng.choice([0xFF, 0x80, 0xFE]) for _ in range(400))


@pytest.mark.parametrize(
    "name, data",
    [
        ("image.txt", _png_bytes()),
        ("random.txt", random.Random(1).randbytes(4000)),
        ("undecodable.txt", _undecodable_bytes()),
        ("controls.txt", b"\x01\x02\x03\x04\x05\x06\x07\x08" * 100),
        ("bad-utf16.txt", b"\xff\xfe\x00"),
    ],
)
def test_bad_files_raise_corpus_error_naming_the_file(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CorpusError) as info:
        read_document(path)
    assert name in str(info.value)


def test_missing_file_raises_corpus_error(tmp_path):
    with pytest.raises(CorpusError) as info:
        read_document(tmp_path / "nope.txt")
    assert "nope.txt" in str(info.value)


@pytest.mark.parametrize(
    "content",
    [
        "",
        "\n\n   \n",
        "![]()\n免责声明：本文仅供参考。\n图片来源：视觉中国\n京公网安备 11010502000000号\n",
        "![](https://example.com/a.png)\n\nNotice: The content above is uploaded by a user.\n特別聲明：以上內容為用戶上傳。\n",
    ],
)
def test_empty_or_furniture_only_file_is_refused(tmp_path, content):
    path = tmp_path / "hollow.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        read_document(path)
    assert "hollow.txt" in str(info.value)


# --------------------------------------------------------------------- load_corpus


def test_load_corpus_skips_bad_files_and_reports_them(tmp_path, corpus_writer):
    folder = corpus_writer(tmp_path / "c", {
        "good.txt": SIMPLIFIED,
        "also-good.md": TRADITIONAL,
        "picture.txt": _png_bytes(),
        "empty.txt": "",
        "notes.csv": "a,b\n1,2\n",  # not a .txt/.md: ignored silently
        ".hidden.txt": SIMPLIFIED + "隐藏",
    })
    documents, problems = load_corpus(folder)
    assert sorted(d.doc_id for d in documents) == ["also-good", "good"]
    bad = sorted(p.path.rsplit("/", 1)[-1] for p in problems)
    assert bad == ["empty.txt", "picture.txt"]
    for problem in problems:
        assert problem.path.rsplit("/", 1)[-1] in problem.reason


def test_load_corpus_raises_when_nothing_is_usable(tmp_path, corpus_writer):
    folder = corpus_writer(tmp_path / "c", {"picture.txt": _png_bytes(), "empty.md": ""})
    with pytest.raises(CorpusError) as info:
        load_corpus(folder)
    message = str(info.value)
    assert "picture.txt" in message and "empty.md" in message


def test_load_corpus_of_folder_without_text_files(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "data.json").write_text("{}", encoding="utf-8")
    with pytest.raises(CorpusError):
        load_corpus(tmp_path / "c")


def test_load_corpus_of_missing_folder(tmp_path):
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path / "no-such-folder")
    assert "no-such-folder" in str(info.value)


def test_duplicate_content_is_skipped(tmp_path, corpus_writer):
    folder = corpus_writer(tmp_path / "c", {"a.txt": SIMPLIFIED, "b.txt": SIMPLIFIED, "c.txt": TRADITIONAL})
    documents, problems = load_corpus(folder)
    assert sorted(d.doc_id for d in documents) == ["a", "c"]
    assert len(problems) == 1
    assert problems[0].path.endswith("b.txt")
    assert "duplicate" in problems[0].reason and "a.txt" in problems[0].reason


def test_same_stem_different_suffix_get_distinct_ids(tmp_path, corpus_writer):
    folder = corpus_writer(tmp_path / "c", {"x.md": SIMPLIFIED, "x.txt": TRADITIONAL})
    documents, _ = load_corpus(folder)
    ids = [d.doc_id for d in documents]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_sources_json_metadata_is_applied(tmp_path, corpus_writer):
    sources = {"a": {"title": "智谱收入", "publisher": "测试日报", "byline": "记者 张三", "date": "2025-01-02",
                     "date_note": "印刷版", "script": "Simplified"}}
    folder = corpus_writer(tmp_path / "c", {"a.txt": SIMPLIFIED, "b.txt": TRADITIONAL}, sources)
    documents, _ = load_corpus(folder)
    by_id = {d.doc_id: d for d in documents}
    a, b = by_id["a"], by_id["b"]
    assert (a.title, a.publisher, a.byline, a.date, a.date_note) == ("智谱收入", "测试日报", "记者 张三", "2025-01-02", "印刷版")
    assert a.source()["date"] == "2025-01-02" and a.source()["publisher"] == "测试日报"
    # No entry: no date, a title from the first content line, script detected.
    assert b.date is None and b.publisher == ""
    assert b.title and b.title in TRADITIONAL.splitlines()[0]
    assert b.script == "Traditional"


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"a": "just a string"}'])
def test_bad_sources_json_is_a_corpus_error_naming_it(tmp_path, corpus_writer, content):
    folder = corpus_writer(tmp_path / "c", {"a.txt": SIMPLIFIED})
    (folder / "sources.json").write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        load_corpus(folder)
    assert "sources.json" in str(info.value)


def test_document_dict_round_trip(seed_docs):
    for doc in seed_docs.values():
        assert Document.from_dict(doc.to_dict()) == doc


# --------------------------------------------------------------------- seeds


def test_seeds_load_without_problems(seed_corpus, seed_ids):
    documents, problems = seed_corpus
    assert problems == []
    assert sorted(d.doc_id for d in documents) == sorted(seed_ids.values())
    for doc in documents:
        assert doc.encoding == "utf-8"
        assert doc.text == (SEEDS_DIR / f"{doc.doc_id}.txt").read_text(encoding="utf-8").replace("\r\n", "\n")


def test_seed_metadata_comes_from_sources_json(seed_docs, seed_sources):
    assert set(seed_sources) == set(seed_docs)
    for doc_id, meta in seed_sources.items():
        doc = seed_docs[doc_id]
        assert doc.publisher == meta["publisher"]
        assert doc.byline == meta["byline"]
        assert doc.date == meta["date"]
        assert doc.date_note == meta["date_note"]
        assert doc.script == meta["script"]


FURNITURE_MARKERS = ["![]()", "免責聲明", "免责声明", "特別聲明", "網易號", "Notice:", "京公網安備", "图片来源", "头图来源",
                     "鉅亨網編譯", "仅提供信息存储服务", "如涉及版权问题"]


def test_seed_furniture_is_outside_content_spans(seed_docs):
    for doc in seed_docs.values():
        content = "\n".join(doc.text[s:e] for s, e in doc.content_spans)
        for marker in FURNITURE_MARKERS:
            assert marker not in content, (doc.doc_id, marker)


def test_no_seed_chunk_contains_furniture(seeds_index):
    for chunk in seeds_index.chunks:
        for marker in FURNITURE_MARKERS:
            assert marker not in chunk.text, (chunk.doc_id, chunk.chunk_id, marker)


def test_seed_content_spans_keep_the_articles(seed_docs, seed_ids):
    # Sentences that are article content (not furniture) must stay inside a content span.
    kept = {
        "000": ["2025年上半年凈虧損達23.58億元", "智譜成立于2019年"],
        "001": ["正式登陆港股", "以智谱在港股公开发售募资2.2亿元计算"],
        "002": ["雙雙通過港交所上市聆訊"],
        "003": ["股票代码2513", "本次IPO引入11家基石投资者"],
        "004": ["以 1159.46 倍的香港公開發售倍數", "截至今日中午收盤"],
    }
    for key, phrases in kept.items():
        doc = seed_docs[seed_ids[key]]
        for phrase in phrases:
            at = doc.text.find(phrase)
            assert at >= 0, (key, phrase)
            assert any(s <= at and at + len(phrase) <= e for s, e in doc.content_spans), (key, phrase)


def test_content_spans_are_trimmed_ordered_and_disjoint(seed_docs):
    for doc in seed_docs.values():
        previous = 0
        for start, end in doc.content_spans:
            assert previous <= start < end <= len(doc.text)
            block = doc.text[start:end]
            assert block == block.strip()
            previous = end


def test_content_spans_split_on_furniture_and_blank_lines():
    text = "第一段第一行。\n第一段第二行。\n![]()\n第二段。\n\n第三段。\n图片来源：新华社\n"
    blocks = [text[s:e] for s, e in content_spans(text)]
    assert blocks == ["第一段第一行。\n第一段第二行。", "第二段。", "第三段。"]


@pytest.mark.parametrize(
    "line, furniture",
    [
        ("![]()", True),
        ("![cover](https://img.example.com/x.png)", True),
        ("免責聲明:本號原創文章享有著作權,未經授權禁止轉載。", True),
        ("Notice: The content above is uploaded by a user of NetEase Hao.", True),
        ("京公網安備 11011402013531號", True),
        ("智谱CEO张鹏|图片来源:智谱", True),
        ("   ", True),
        ("智譜2024年收入達到3.124億元。", False),
        ("公司声明将于明年推出新模型。", False),  # "声明" inside a sentence is content
    ],
)
def test_is_furniture(line, furniture):
    assert is_furniture(line) is furniture


def test_furniture_free_chunks_even_for_a_synthetic_page(tmp_path, corpus_writer):
    page = (
        "![]()\n"
        "海风航运公司2024年营业收入为8.6亿元。\n"
        "公司净亏损收窄至1.2亿元。\n"
        "图片来源：新华社\n"
        "![](https://example.com/1.jpg)\n"
        "董事长王强称明年有望盈利。\n"
        "免责声明：本文仅供参考，不构成投资建议。\n"
        "京公网安备 11010502000000号\n"
    )
    folder = corpus_writer(tmp_path / "c", {"page.txt": page})
    documents, _ = load_corpus(folder)
    chunks, sentences = chunk_documents(documents, 40, 10)
    joined = "\n".join(c.text for c in chunks)
    for marker in ("![", "图片来源", "免责声明", "公网安备"):
        assert marker not in joined
    for fact in ("8.6亿元", "1.2亿元", "明年有望盈利"):
        assert fact in joined
    assert all(not re.search(r"!\[", s.text) for s in sentences)


def test_example_questions_come_from_the_corpus_folder(tmp_path):
    assert read_examples(SEEDS_DIR)  # the bundled articles bring their own
    assert read_examples(tmp_path) == []  # none is fine
    (tmp_path / "examples.json").write_text('["2024年营收是多少？", 3, "", "How many died?"]', encoding="utf-8")
    assert read_examples(tmp_path) == ["2024年营收是多少？", "How many died?"]
    (tmp_path / "examples.json").write_text(str([f"q{i}" for i in range(20)]).replace("'", '"'), encoding="utf-8")
    assert len(read_examples(tmp_path)) == MAX_EXAMPLES
    for broken in (b"\xff\xfe{", b'{"not": "a list"}', b"[1, 2"):
        (tmp_path / "examples.json").write_bytes(broken)
        assert read_examples(tmp_path) == []  # a help, never a reason to fail

