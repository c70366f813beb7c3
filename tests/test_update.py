"""Incremental updates: FactChecker.add / FactChecker.remove and `factcheck add` / `factcheck remove`.

Every test works on the small synthetic corpus copied into tmp_path (never on the
project's seeds/ or .factcheck/). What an update promises (index/update.py):
only the new texts are embedded, the stored vectors of everything else are kept
byte for byte, files move in step with the index, the index is up to date
afterwards, and bad input is refused before anything changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from index import CorpusError, FactCheckError, Settings, build_index, load_index, read_manifest, stale_reasons
from index import update as update_module
from retriever import FactChecker

MUSEUM = "星河博物馆收藏文物三万件，馆长是赵敏。\n博物馆2023年接待游客45万人次，门票收入约1200万元。\n"
MUSEUM_Q = "星河博物馆收藏了多少件文物？"
PARK = "东湖公园占地五百亩，每年接待游客两百万人次。\n公园管理处主任陈刚表示，今年将新建三座湖心亭。\n"
HARBOR_Q = "海风航运公司2024年营业收入是多少？"
SMALL_IDS = {"library", "harbor", "bridge"}


# --------------------------------------------------------------------------- helpers


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under a folder (index or corpus) with its checksum, the lock file aside."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): _sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def _current(directory: Path) -> str:
    return (directory / "CURRENT").read_text(encoding="ascii").strip()


def _chunk_vectors(index) -> np.ndarray:  # type: ignore[no-untyped-def]
    return index.dense.reconstruct_n(0, index.dense.ntotal)


def _vectors_by_span(index) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """Chunk and sentence vectors keyed by what they are ((doc_id, start, end)), as raw bytes."""
    chunk_vectors = _chunk_vectors(index)
    chunks = {(c.doc_id, c.start, c.end): chunk_vectors[c.chunk_id].tobytes() for c in index.chunks}
    sentences = {(s.doc_id, s.start, s.end): index.sentence_vectors[s.sentence_id].tobytes() for s in index.sentences}
    return chunks, sentences


def assert_consistent(index) -> None:  # type: ignore[no-untyped-def]
    """Ids are consecutive, every piece slices its document, chunks point at their own doc's
    sentences, and counts agree with the manifest."""
    docs = index.documents
    assert [c.chunk_id for c in index.chunks] == list(range(len(index.chunks)))
    assert [s.sentence_id for s in index.sentences] == list(range(len(index.sentences)))
    for s in index.sentences:
        assert docs[s.doc_id].text[s.start:s.end] == s.text
    for c in index.chunks:
        assert docs[c.doc_id].text[c.start:c.end] == c.text
        assert c.sentence_ids, c
        for sid in c.sentence_ids:
            s = index.sentences[sid]
            assert s.doc_id == c.doc_id, (c, s)
            assert s.start < c.end and s.end > c.start, (c, s)
    assert {c.doc_id for c in index.chunks} == set(docs)
    counts = index.manifest["counts"]
    assert counts == {"documents": len(docs), "chunks": len(index.chunks), "sentences": len(index.sentences)}
    assert index.dense.ntotal == len(index.chunks)
    assert index.sentence_vectors.shape == (len(index.sentences), index.dim)
    assert index.lexical.n_chunks == len(index.chunks)


def assert_up_to_date(directory: Path) -> FactChecker:
    """The index on disk matches its corpus: a fresh load neither rebuilds nor complains."""
    assert stale_reasons(read_manifest(directory)) == []
    again = FactChecker.load(index_dir=directory, rebuild=False)
    assert again.status == "loaded"
    return again


def assert_cites_exactly(fc: FactChecker, answer) -> None:  # type: ignore[no-untyped-def]
    json.dumps(answer.to_dict(), ensure_ascii=False)
    for c in answer.citations:
        assert fc.index.documents[c.doc_id].text[c.start:c.end] == c.quote


@pytest.fixture
def small(small_index):
    """``(fc, index_dir, corpus_dir)`` on a fresh small index in tmp_path."""
    settings, _ = small_index
    directory, corpus = Path(settings.index_dir), Path(settings.corpus_dir)
    fc = FactChecker.load(index_dir=directory, rebuild=False)
    assert fc.status == "loaded"
    return fc, directory, corpus


@pytest.fixture
def incoming(tmp_path) -> Path:
    """A folder outside the corpus holding files to add."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "museum.txt").write_text(MUSEUM, encoding="utf-8")
    (folder / "park.md").write_text(PARK, encoding="utf-8")
    return folder


class _Counting:
    """Wraps embed_passages to count the texts it is asked to embed."""

    def __init__(self, monkeypatch, embedder) -> None:  # type: ignore[no-untyped-def]
        self.texts: list[str] = []
        real = embedder.embed_passages

        def counting(texts, progress=None):  # type: ignore[no-untyped-def]
            texts = list(texts)
            self.texts.extend(texts)
            return real(texts, progress)

        monkeypatch.setattr(embedder, "embed_passages", counting)


# --------------------------------------------------------------------------- add


def test_add_copies_the_file_and_embeds_only_the_new_texts(small, incoming, monkeypatch):
    fc, directory, corpus = small
    before = fc.index
    old_chunks, old_sentences = list(before.chunks), list(before.sentences)
    old_chunk_vectors = _chunk_vectors(before).copy()
    old_sentence_vectors = before.sentence_vectors.copy()
    old_current = _current(directory)
    counter = _Counting(monkeypatch, fc.embedder)

    report = fc.add([incoming / "museum.txt"])

    assert report["added"] == ["museum"]
    assert report["skipped"] == [] and report["removed"] == []
    # the file is copied (not moved) into the corpus folder, byte for byte
    assert (corpus / "museum.txt").read_bytes() == (incoming / "museum.txt").read_bytes()
    assert (incoming / "museum.txt").exists()
    assert not [p for p in corpus.iterdir() if p.name.startswith(".") and p.name.endswith(".adding")]

    index = fc.index
    new_chunks = [c for c in index.chunks if c.doc_id == "museum"]
    new_sentences = [s for s in index.sentences if s.doc_id == "museum"]
    assert new_chunks and new_sentences
    # only the new document's chunks and sentences were embedded
    assert report["embedded"] == len(new_chunks) + len(new_sentences) == len(counter.texts)
    assert sorted(counter.texts) == sorted([c.text for c in new_chunks] + [s.text for s in new_sentences])
    assert all("星河" in t or "博物馆" in t for t in counter.texts)

    # old chunks and sentences keep their ids, their text and their vectors, byte for byte
    assert index.chunks[: len(old_chunks)] == old_chunks
    assert index.sentences[: len(old_sentences)] == old_sentences
    after_vectors = _chunk_vectors(index)
    assert after_vectors[: len(old_chunks)].tobytes() == old_chunk_vectors.tobytes()
    assert index.sentence_vectors[: len(old_sentences)].tobytes() == old_sentence_vectors.tobytes()
    # ... also as stored on disk
    on_disk = load_index(directory)
    assert _chunk_vectors(on_disk)[: len(old_chunks)].tobytes() == old_chunk_vectors.tobytes()
    assert on_disk.sentence_vectors[: len(old_sentences)].tobytes() == old_sentence_vectors.tobytes()
    # the new vectors are the embedder's, unit length
    expected = fc.embedder.embed_passages([c.text for c in new_chunks])
    np.testing.assert_allclose(after_vectors[len(old_chunks):], expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(index.sentence_vectors, axis=1), 1.0, atol=1e-4)

    assert_consistent(index)
    assert_consistent(on_disk)
    assert set(index.documents) == SMALL_IDS | {"museum"}
    assert index.documents["museum"].path == str(corpus / "museum.txt") or \
        Path(index.documents["museum"].path).resolve() == (corpus / "museum.txt").resolve()
    assert _current(directory) != old_current
    assert index.manifest["updated"] == {"added": ["museum"], "embedded": report["embedded"]}
    assert fc.status == "updated"

    # searchable and answerable, in memory and after a fresh load (which does not rebuild)
    assert fc.search(MUSEUM_Q, k=1)[0].doc_id == "museum"
    answer = fc.ask(MUSEUM_Q)
    assert answer.verdict != "not_found", answer.to_dict()
    assert any(c.doc_id == "museum" for c in answer.citations)
    assert_cites_exactly(fc, answer)
    again = assert_up_to_date(directory)
    assert again.search(MUSEUM_Q, k=1)[0].doc_id == "museum"
    assert again.ask(MUSEUM_Q).to_dict()["citations"] == answer.to_dict()["citations"]
    # the documents already there answer as before
    assert again.search(HARBOR_Q, k=1)[0].doc_id == "harbor"


def test_added_index_answers_like_a_fresh_build(small, incoming, tmp_path, use_embedder):
    fc, directory, corpus = small
    fc.add([incoming / "museum.txt", incoming / "park.md"])
    fresh, _ = build_index(Settings(corpus_dir=corpus, index_dir=tmp_path / "fresh"), use_embedder, progress=False)
    fresh_fc = FactChecker(fresh, use_embedder)
    assert fresh.manifest["counts"] == fc.index.manifest["counts"]
    assert fresh.manifest["corpus"]["files"] == fc.index.manifest["corpus"]["files"]
    for question in (MUSEUM_Q, "东湖公园占地多少亩？", HARBOR_Q, "紅河大橋全長多少公里？", "馆长是谁？"):
        a = [(p.doc_id, p.start, p.end, round(p.score, 4)) for p in fc.search(question, k=3)]
        b = [(p.doc_id, p.start, p.end, round(p.score, 4)) for p in fresh_fc.search(question, k=3)]
        assert a == b, question
        assert fc.ask(question).verdict == fresh_fc.ask(question).verdict


def test_add_several_files_at_once_with_names(small, incoming):
    fc, directory, corpus = small
    report = fc.add([incoming / "museum.txt", incoming / "park.md"], names=["xinghe-museum.txt", None])
    assert report["added"] == ["xinghe-museum", "park"]
    assert (corpus / "xinghe-museum.txt").read_text(encoding="utf-8") == MUSEUM
    assert (corpus / "park.md").read_text(encoding="utf-8") == PARK
    assert not (corpus / "museum.txt").exists()
    assert_consistent(fc.index)
    assert fc.search("东湖公园占地多少亩？", k=1)[0].doc_id == "park"
    assert fc.search(MUSEUM_Q, k=1)[0].doc_id == "xinghe-museum"
    assert_up_to_date(directory)


def test_add_uses_sources_json_metadata(small, incoming):
    fc, directory, corpus = small
    (corpus / "sources.json").write_text(json.dumps({"museum": {"publisher": "星河日报", "date": "2025-03-01"}},
                                                    ensure_ascii=False), encoding="utf-8")
    # sources.json changed: the index is out of date and an update refuses until it is rebuilt
    with pytest.raises(CorpusError, match="out of date"):
        fc.add([incoming / "museum.txt"])
    assert not (corpus / "museum.txt").exists()
    fc = FactChecker.load(index_dir=directory)
    assert fc.status.startswith("rebuilt")
    fc.add([incoming / "museum.txt"])
    doc = fc.index.documents["museum"]
    assert doc.publisher == "星河日报" and doc.date == "2025-03-01"
    assert_up_to_date(directory)


def test_duplicate_content_under_another_name_is_skipped(small, tmp_path):
    fc, directory, corpus = small
    copy = tmp_path / "harbor-copy.txt"
    copy.write_bytes((corpus / "harbor.txt").read_bytes())
    index_before, corpus_before = _snapshot(directory), _snapshot(corpus)
    report = fc.add([copy])
    assert report["added"] == [] and report["embedded"] == 0
    assert len(report["skipped"]) == 1
    assert "harbor-copy.txt" in report["skipped"][0] and "harbor" in report["skipped"][0]
    assert _snapshot(directory) == index_before
    assert _snapshot(corpus) == corpus_before
    assert set(fc.index.documents) == SMALL_IDS
    assert_up_to_date(directory)


@pytest.mark.parametrize("name", ["library.txt", "library.md"])
def test_name_already_taken_is_skipped(small, tmp_path, name):
    fc, directory, corpus = small
    other = tmp_path / "elsewhere" / name
    other.parent.mkdir()
    other.write_text("这是一篇完全不同的文章，讲的是城东的新菜市场。\n", encoding="utf-8")
    index_before, corpus_before = _snapshot(directory), _snapshot(corpus)
    report = fc.add([other])
    assert report["added"] == []
    assert len(report["skipped"]) == 1 and name in report["skipped"][0]
    assert "already" in report["skipped"][0]
    assert _snapshot(directory) == index_before
    assert _snapshot(corpus) == corpus_before


def test_duplicates_are_skipped_while_new_files_are_added(small, incoming, tmp_path):
    fc, directory, corpus = small
    dup = tmp_path / "dup.txt"
    dup.write_bytes((corpus / "library.txt").read_bytes())
    report = fc.add([dup, incoming / "museum.txt", incoming / "museum.txt"])
    assert report["added"] == ["museum"]
    assert len(report["skipped"]) == 2  # the copy of library.txt, and museum.txt given twice
    assert not (corpus / "dup.txt").exists()
    assert_consistent(fc.index)
    assert_up_to_date(directory)


def test_two_different_files_with_the_same_name_in_one_call(small, tmp_path):
    # Two sources named new.txt with different contents, added together: only one can
    # take the name. The second must be skipped like any other taken name, not
    # copied over the first while both are indexed under the same doc_id.
    fc, directory, corpus = small
    for folder, text in (("a", "星河博物馆收藏文物三万件，馆长是赵敏。\n"), ("b", PARK)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "new.txt").write_text(text, encoding="utf-8")
    report = fc.add([tmp_path / "a" / "new.txt", tmp_path / "b" / "new.txt"])
    assert report["added"] == ["new"], report
    assert len(report["skipped"]) == 1 and "new.txt" in report["skipped"][0]
    assert (corpus / "new.txt").read_bytes() == (tmp_path / "a" / "new.txt").read_bytes()
    documents = [json.loads(line) for line in
                 (directory / _current(directory) / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [d["doc_id"] for d in documents].count("new") == 1
    assert_consistent(fc.index)


@pytest.mark.parametrize("name", ["../x.txt", "/etc/x.txt", ".hidden.txt", "a/b.txt", "x.exe", "..", "a\\b.txt",
                                  "x.txt\x00.txt", "sources.json", "../../etc/cron.d/x.txt"])
def test_names_that_leave_the_corpus_are_refused(small, incoming, tmp_path, name):
    fc, directory, corpus = small
    index_before, corpus_before = _snapshot(directory), _snapshot(corpus)
    outside_before = sorted(p.name for p in tmp_path.iterdir())
    etc_before = Path("/etc/x.txt").exists()
    with pytest.raises(CorpusError) as info:
        fc.add([incoming / "museum.txt"], names=[name])
    message = str(info.value)
    assert repr(name) in message or name in message, message
    assert "corpus" in message or "only" in message, message
    assert _snapshot(directory) == index_before
    assert _snapshot(corpus) == corpus_before
    assert sorted(p.name for p in tmp_path.iterdir()) == outside_before
    assert Path("/etc/x.txt").exists() == etc_before
    assert set(fc.index.documents) == SMALL_IDS


def test_a_bad_name_refuses_the_whole_call(small, incoming):
    # the first file is fine, the second is not: nothing at all is added
    fc, directory, corpus = small
    index_before, corpus_before = _snapshot(directory), _snapshot(corpus)
    with pytest.raises(CorpusError):
        fc.add([incoming / "museum.txt", incoming / "park.md"], names=["museum.txt", "../park.md"])
    assert _snapshot(directory) == index_before
    assert _snapshot(corpus) == corpus_before


@pytest.mark.parametrize("kind, content", [
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"),
    ("nul bytes", "智谱".encode("utf-8") + b"\x00" * 64 + "收入".encode("utf-8")),
    ("undecodable", b"hello \xff world \xff\xfe \x80\x81"),
    ("control characters", bytes(range(1, 9)) * 200),
    ("empty", b""),
    ("only furniture", "![](https://example.com/a.png)\n免责声明：本文仅供参考。\n".encode("utf-8")),
])
def test_unusable_file_is_refused_and_changes_nothing(small, incoming, tmp_path, kind, content):
    fc, directory, corpus = small
    bad = tmp_path / "bad-file.txt"
    bad.write_bytes(content)
    index_before, corpus_before = _snapshot(directory), _snapshot(corpus)
    with pytest.raises(CorpusError) as info:
        fc.add([incoming / "museum.txt", bad])
    assert "bad-file.txt" in str(info.value)
    assert _snapshot(directory) == index_before
    assert _snapshot(corpus) == corpus_before
    assert set(fc.index.documents) == SMALL_IDS


def test_missing_file_is_refused(small, tmp_path):
    fc, directory, corpus = small
    index_before = _snapshot(directory)
    with pytest.raises(CorpusError) as info:
        fc.add([tmp_path / "no-such-file.txt"])
    assert "no-such-file.txt" in str(info.value)
    assert _snapshot(directory) == index_before


def test_add_refuses_when_the_index_is_out_of_date(small, incoming):
    fc, directory, corpus = small
    (corpus / "harbor.txt").write_text("海风航运公司2024年营业收入为9.9亿元。\n", encoding="utf-8")
    index_before = _snapshot(directory)
    with pytest.raises(CorpusError) as info:
        fc.add([incoming / "museum.txt"])
    assert "factcheck index" in str(info.value) and "harbor.txt" in str(info.value)
    assert not (corpus / "museum.txt").exists()
    assert _snapshot(directory) == index_before


def test_failed_embedding_during_add_leaves_corpus_and_index_untouched(small, incoming, monkeypatch):
    fc, directory, corpus = small
    index_before, corpus_before = _snapshot(directory), _snapshot(corpus)

    def crash(texts, progress=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("embedding backend crashed")

    monkeypatch.setattr(fc.embedder, "embed_passages", crash)
    with pytest.raises(RuntimeError, match="crashed"):
        fc.add([incoming / "museum.txt"])
    monkeypatch.undo()
    assert _snapshot(corpus) == corpus_before
    assert _snapshot(directory) == index_before
    assert_up_to_date(directory)


# --------------------------------------------------------------------------- remove


def test_remove_drops_the_document_and_keeps_the_rest(small):
    fc, directory, corpus = small
    before = fc.index
    chunks_before, sentences_before = _vectors_by_span(before)
    harbor_bytes = (corpus / "harbor.txt").read_bytes()

    report = fc.remove(["harbor"])

    assert report["removed"] == ["harbor"] and report["added"] == [] and report["embedded"] == 0
    index = fc.index
    assert set(index.documents) == SMALL_IDS - {"harbor"}
    assert not [c for c in index.chunks if c.doc_id == "harbor"]
    assert not [s for s in index.sentences if s.doc_id == "harbor"]
    assert len(index.chunks) == len([c for c in before.chunks if c.doc_id != "harbor"])
    assert len(index.sentences) == len([s for s in before.sentences if s.doc_id != "harbor"])
    assert_consistent(index)
    on_disk = load_index(directory)
    assert_consistent(on_disk)

    # the remaining vectors are unchanged (ids were renumbered, the vectors followed them)
    chunks_after, sentences_after = _vectors_by_span(on_disk)
    assert chunks_after == {k: v for k, v in chunks_before.items() if k[0] != "harbor"}
    assert sentences_after == {k: v for k, v in sentences_before.items() if k[0] != "harbor"}
    # the figures of the removed document are no longer found; the others still are
    assert fc.ask("海风航运公司2024年营业收入是多少？").verdict.value == "not_found"
    assert fc.ask("紅河大橋全長多少公里？").verdict.value == "single_source"

    # the file moved to <corpus>/.removed/
    assert not (corpus / "harbor.txt").exists()
    trashed = list((corpus / update_module.REMOVED_DIR).iterdir())
    assert len(trashed) == 1 and trashed[0].name.startswith("harbor.txt")
    assert trashed[0].read_bytes() == harbor_bytes

    assert fc.status == "updated"
    assert all(p.doc_id != "harbor" for p in fc.search(HARBOR_Q, k=5))
    assert_cites_exactly(fc, fc.ask(HARBOR_Q))
    assert fc.search("青山市图书馆藏书多少册？", k=1)[0].doc_id == "library"
    again = assert_up_to_date(directory)
    assert set(again.index.documents) == SMALL_IDS - {"harbor"}


def test_remove_then_add_back(small, tmp_path):
    fc, directory, corpus = small
    keep = tmp_path / "harbor.txt"
    keep.write_bytes((corpus / "harbor.txt").read_bytes())
    fc.remove(["harbor"])
    report = fc.add([keep])
    assert report["added"] == ["harbor"]
    assert set(fc.index.documents) == SMALL_IDS
    assert fc.search(HARBOR_Q, k=1)[0].doc_id == "harbor"
    assert_consistent(fc.index)
    assert_up_to_date(directory)


def test_removing_the_same_name_twice_keeps_both_removed_copies(small, tmp_path, monkeypatch):
    # .removed/ is the user's safety net: a second removal of a file with the same name
    # (within the same second: the clock is frozen here) must not overwrite the first.
    fc, directory, corpus = small
    first = (corpus / "harbor.txt").read_bytes()
    second = "海风航运公司2025年营业收入为9.9亿元。\n".encode("utf-8")
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "harbor.txt").write_bytes(second)
    monkeypatch.setattr(update_module.time, "strftime", lambda fmt, *a: "20250101-000000")
    fc.remove(["harbor"])
    fc.add([tmp_path / "v2" / "harbor.txt"])
    fc.remove(["harbor"])
    kept = [p.read_bytes() for p in (corpus / update_module.REMOVED_DIR).iterdir()]
    assert len(kept) == 2, f"{len(kept)} file(s) in .removed/: the first removed harbor.txt was overwritten"
    assert sorted(kept) == sorted([first, second])


def test_remove_several_and_duplicates_in_the_list(small):
    fc, directory, corpus = small
    report = fc.remove(["harbor", "bridge", "harbor"])
    assert report["removed"] == ["harbor", "bridge"]
    assert set(fc.index.documents) == {"library"}
    assert_consistent(fc.index)
    assert_up_to_date(directory)


@pytest.mark.parametrize("ids", [["museum"], ["harbor", "museum"], ["Harbor"], ["harbor.txt"], [""]])
def test_removing_an_unknown_id_lists_the_known_ones(small, ids):
    fc, directory, corpus = small
    index_before, corpus_before = _snapshot(directory), _snapshot(corpus)
    with pytest.raises(CorpusError) as info:
        fc.remove(ids)
    message = str(info.value)
    for known in SMALL_IDS:
        assert known in message
    assert _snapshot(directory) == index_before
    assert _snapshot(corpus) == corpus_before
    assert not (corpus / update_module.REMOVED_DIR).exists() or not any((corpus / update_module.REMOVED_DIR).iterdir())


def test_removing_every_document_is_refused(small):
    fc, directory, corpus = small
    index_before, corpus_before = _snapshot(directory), _snapshot(corpus)
    with pytest.raises(CorpusError) as info:
        fc.remove(sorted(SMALL_IDS))
    assert "every document" in str(info.value) or "empty" in str(info.value)
    assert _snapshot(directory) == index_before
    assert _snapshot(corpus) == corpus_before
    # one at a time, down to the last: the last one is refused too
    fc.remove(["harbor"])
    fc.remove(["bridge"])
    with pytest.raises(CorpusError):
        fc.remove(["library"])
    assert set(fc.index.documents) == {"library"}
    assert_up_to_date(directory)


def test_failed_rewrite_during_remove_puts_the_file_back(small, monkeypatch):
    fc, directory, corpus = small
    index_before = _snapshot(directory)
    harbor = (corpus / "harbor.txt").read_bytes()

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("crash while writing")

    monkeypatch.setattr(update_module, "_write_generation", boom)
    with pytest.raises(RuntimeError):
        fc.remove(["harbor"])
    monkeypatch.undo()
    assert (corpus / "harbor.txt").read_bytes() == harbor
    assert _snapshot(directory) == index_before
    assert_up_to_date(directory)


def test_a_second_handle_sees_updates_after_reloading(small, incoming):
    fc, directory, corpus = small
    other = FactChecker.load(index_dir=directory, rebuild=False)
    fc.add([incoming / "museum.txt"])
    # the older handle keeps answering from its own (complete) index
    assert other.search(HARBOR_Q, k=1)[0].doc_id == "harbor"
    # and an update through it sees the other's change (it reloads from disk under the lock)
    other.remove(["bridge"])
    assert set(other.index.documents) == {"library", "harbor", "museum"}
    assert set(assert_up_to_date(directory).index.documents) == {"library", "harbor", "museum"}


# --------------------------------------------------------------------------- CLI


def run(exe: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    assert "FACTCHECK_INDEX_DIR" in env  # the session points it away from the project
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=timeout)


def _no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr


def _clean_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    _no_traceback(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("factcheck: error:")]
    assert len(errors) == 1, result.stderr
    assert result.stdout == ""
    return errors[0]


def _one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    _no_traceback(result)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    return lines[0]


def test_cli_add_and_remove(small_index, incoming, factcheck_exe):
    settings, _ = small_index
    directory, corpus = Path(settings.index_dir), Path(settings.corpus_dir)
    line = _one_line(run(factcheck_exe, "add", str(incoming / "museum.txt"), str(incoming / "park.md"),
                         "--index", str(directory)))
    assert line.startswith("Added 2 document(s): museum, park")
    embedded = load_index(directory).manifest["updated"]["embedded"]
    assert f"({embedded} new texts embedded)" in line
    assert "5 documents" in line
    assert (corpus / "museum.txt").exists() and (corpus / "park.md").exists()

    info = run(factcheck_exe, "info", "--index", str(directory), "--json")
    assert info.returncode == 0 and json.loads(info.stdout)["up_to_date"] is True

    line = _one_line(run(factcheck_exe, "remove", "park", "harbor", "--index", str(directory)))
    assert line.startswith("Removed 2 document(s): park, harbor")
    assert "3 documents" in line
    assert not (corpus / "park.md").exists()
    assert json.loads(run(factcheck_exe, "info", "--index", str(directory), "--json").stdout)["up_to_date"] is True

    ask = run(factcheck_exe, "search", MUSEUM_Q, "--json", "-k", "1", "--no-rebuild", "--index", str(directory))
    assert ask.returncode == 0, ask.stderr
    assert json.loads(ask.stdout)[0]["doc_id"] == "museum"
    assert "(index" not in ask.stderr  # loaded, not rebuilt


def test_cli_add_duplicate_reports_the_skip(small_index, tmp_path, factcheck_exe):
    settings, _ = small_index
    directory, corpus = Path(settings.index_dir), Path(settings.corpus_dir)
    dup = tmp_path / "copy.txt"
    dup.write_bytes((corpus / "library.txt").read_bytes())
    before = _snapshot(directory)
    result = run(factcheck_exe, "add", str(dup), "--index", str(directory))
    line = _one_line(result)
    assert line.startswith("Added 0 document(s)")
    assert "skipped: copy.txt" in result.stderr
    assert _snapshot(directory) == before


@pytest.mark.parametrize("case", ["binary", "missing", "exe", "unknown id", "remove all"])
def test_cli_update_errors_exit_2_without_traceback(small_index, tmp_path, factcheck_exe, case):
    settings, _ = small_index
    directory, corpus = Path(settings.index_dir), Path(settings.corpus_dir)
    index_before, corpus_before = _snapshot(directory), _snapshot(corpus)
    if case == "binary":
        bad = tmp_path / "photo.txt"
        bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        line = _clean_error(run(factcheck_exe, "add", str(bad), "--index", str(directory)))
        assert "photo.txt" in line
    elif case == "missing":
        line = _clean_error(run(factcheck_exe, "add", str(tmp_path / "nope.txt"), "--index", str(directory)))
        assert "nope.txt" in line
    elif case == "exe":
        bad = tmp_path / "tool.exe"
        bad.write_text("不是文章\n", encoding="utf-8")
        line = _clean_error(run(factcheck_exe, "add", str(bad), "--index", str(directory)))
        assert "tool.exe" in line and ".txt" in line
    elif case == "unknown id":
        line = _clean_error(run(factcheck_exe, "remove", "museum", "--index", str(directory)))
        assert "museum" in line and all(k in line for k in SMALL_IDS)
    else:
        line = _clean_error(run(factcheck_exe, "remove", *sorted(SMALL_IDS), "--index", str(directory)))
        assert "empty" in line or "every" in line
    assert _snapshot(directory) == index_before
    assert _snapshot(corpus) == corpus_before


def test_update_errors_are_factcheck_errors():
    # the CLI turns exactly these into exit status 2
    assert issubclass(CorpusError, FactCheckError)


# --------------------------------------------------------------------------- refresh


def test_refresh_loads_a_generation_published_elsewhere(small, incoming):
    fc, directory, _ = small
    other = FactChecker.load(index_dir=directory, rebuild=False)
    assert other.refresh() is False  # nothing published since the load
    fc.add([incoming / "museum.txt"])
    assert "museum" not in other.index.documents
    assert other.refresh() is True
    assert "museum" in other.index.documents and other.status == "reloaded"
    assert other.ask(MUSEUM_Q, k=3).citations[0].doc_id == "museum"
    assert other.refresh() is False
    fc.remove(["museum"])
    assert other.refresh() is True and "museum" not in other.index.documents


def test_answers_stay_whole_while_another_thread_refreshes(small, incoming):
    import threading

    fc, directory, _ = small
    reader = FactChecker.load(index_dir=directory, rebuild=False)
    failures: list[BaseException] = []
    done = threading.Event()

    def ask_until_done() -> None:
        while not done.is_set():
            try:
                answer = reader.ask(HARBOR_Q, k=3)
                assert answer.citations and answer.citations[0].doc_id == "harbor"
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)
                return

    thread = threading.Thread(target=ask_until_done)
    thread.start()
    try:
        for _ in range(5):
            fc.add([incoming / "museum.txt"])
            assert reader.refresh()
            fc.remove(["museum"])
            assert reader.refresh()
    finally:
        done.set()
        thread.join(timeout=120)
    assert not failures, failures
