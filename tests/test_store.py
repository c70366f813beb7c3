"""index.store: manifest, round trip, freshness, corruption, atomic generations, failed builds."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index import (
    SEEDS_DIR,
    FactCheckError,
    IndexCorruptError,
    IndexNotFoundError,
    IndexStaleError,
    Settings,
    build_index,
    ensure_index,
    load_index,
    read_manifest,
    stale_reasons,
)
from index import store as store_module
from index.lexical import LexicalIndex
from retriever import FactChecker, HybridSearcher


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _current(directory: Path) -> str:
    return (directory / "CURRENT").read_text(encoding="ascii").strip()


def _generations(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.is_dir() and "gen-" in p.name)


def _snapshot(directory: Path) -> dict[str, str]:
    """Every file under an index directory with its checksum (the lock file aside)."""
    return {str(p.relative_to(directory)): _sha256(p) for p in sorted(directory.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def _gen_verifies(gen: Path) -> bool:
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    return all((gen / rel).is_file() and _sha256(gen / rel) == digest for rel, digest in manifest["files"].items())


# --------------------------------------------------------------------- manifest


def test_manifest_describes_the_build(seeds_index_dir, seeds_index):
    manifest = read_manifest(seeds_index_dir)
    assert manifest["format_version"] == store_module.FORMAT_VERSION
    assert manifest["embedder"] == {"name": "use-m", "dim": 512}
    assert manifest["chunker"]["size"] == Settings().chunk_size
    assert manifest["chunker"]["overlap"] == Settings().chunk_overlap
    files = manifest["corpus"]["files"]
    expected = {p.name: _sha256(p) for p in SEEDS_DIR.iterdir() if p.suffix in (".txt", ".md")}
    expected["sources.json"] = _sha256(SEEDS_DIR / "sources.json")
    assert files == expected
    assert manifest["corpus"]["dir"] == str(SEEDS_DIR.resolve())
    counts = manifest["counts"]
    assert counts["documents"] == 5
    assert counts["chunks"] == len(seeds_index.chunks)
    assert counts["sentences"] == len(seeds_index.sentences)
    assert counts["chunks"] > 5 and counts["sentences"] > counts["chunks"]
    assert manifest["skipped"] == []


def test_manifest_checksums_match_the_files(seeds_index_dir):
    gen = seeds_index_dir / _current(seeds_index_dir)
    manifest = read_manifest(seeds_index_dir)
    assert {"dense.faiss", "chunks.npy", "documents.jsonl", "texts.bin", "sentence_spans.npy", "sentences.npy",
            "centroid.npy"} <= set(manifest["files"])
    assert _gen_verifies(gen)


def test_manifest_records_skipped_files(tmp_path, small_corpus, use_embedder):
    (small_corpus / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    index, problems = build_index(Settings(corpus_dir=small_corpus, index_dir=tmp_path / "i"), use_embedder, progress=False)
    assert [Path(p.path).name for p in problems] == ["broken.txt"]
    assert [Path(s["path"]).name for s in index.manifest["skipped"]] == ["broken.txt"]
    assert index.manifest["counts"]["documents"] == 3


# --------------------------------------------------------------------- round trip


def test_load_index_round_trips(seeds_index_dir, seeds_index, use_embedder):
    loaded = load_index(seeds_index_dir)
    assert list(loaded.chunks) == list(seeds_index.chunks)
    assert list(loaded.sentences) == list(seeds_index.sentences)
    assert dict(loaded.documents) == dict(seeds_index.documents)
    for c in loaded.chunks:  # the text read back by offset is the document's own
        assert c.text == loaded.documents[c.doc_id].text[c.start:c.end] and c.text.strip()
    np.testing.assert_array_equal(loaded.centroid, seeds_index.centroid)
    assert loaded.dense.ntotal == len(loaded.chunks)
    np.testing.assert_array_equal(loaded.sentence_vectors, seeds_index.sentence_vectors)
    built = HybridSearcher(seeds_index, use_embedder)
    reloaded = HybridSearcher(loaded, use_embedder)
    for question in ("智谱2025年上半年的净亏损是多少？", "What was Zhipu's revenue in 2024?", "智譜的股票代碼是多少？"):
        for mode in ("hybrid", "dense", "lexical"):
            a = [(p.chunk_id, round(p.score, 5)) for p in built.search(question, k=5, mode=mode)]
            b = [(p.chunk_id, round(p.score, 5)) for p in reloaded.search(question, k=5, mode=mode)]
            assert a == b, (question, mode)


def test_a_build_streamed_in_batches_and_embedded_by_worker_processes_is_the_same_index(tmp_path, seeds_index,
                                                                                      monkeypatch):
    # Small batches make the seeds a corpus of many batches; two spawned workers embed them while
    # this process chunks. Everything read back must equal the one-process build of the session.
    monkeypatch.setattr(store_module, "EMBED_BATCH", 64)
    settings = Settings(index_dir=tmp_path / "index", workers=2)
    built, _ = build_index(settings, progress=False)
    assert built.manifest["workers"] == 2
    loaded = load_index(tmp_path / "index")
    for index in (built, loaded):
        np.testing.assert_array_equal(np.asarray(index.chunks.rows), np.asarray(seeds_index.chunks.rows))
        np.testing.assert_array_equal(np.asarray(index.sentences.rows), np.asarray(seeds_index.sentences.rows))
        assert index.lexical.idf.terms() == pytest.approx(seeds_index.lexical.idf.terms())
        n = index.dense.ntotal
        np.testing.assert_allclose(index.dense.reconstruct_n(0, n), seeds_index.dense.reconstruct_n(0, n), atol=1e-5)
        np.testing.assert_allclose(np.asarray(index.sentence_vectors, np.float32),
                                   np.asarray(seeds_index.sentence_vectors, np.float32), atol=2e-3)
        np.testing.assert_allclose(index.centroid, seeds_index.centroid, atol=1e-5)


def test_lexical_index_round_trips(tmp_path):
    tokens = [["智谱", "收入"], ["亏损", "智谱"], []]
    lexical = LexicalIndex.build(tokens)
    lexical.save(tmp_path)
    again = LexicalIndex.load(tmp_path)
    np.testing.assert_allclose(again.scores(["智谱", "收入"]), lexical.scores(["智谱", "收入"]))
    assert again.idf.terms() == pytest.approx(lexical.idf.terms())
    assert again.scores(["不存在的词"]).tolist() == [0.0, 0.0, 0.0]
    assert lexical.scores(["收入"])[0] > lexical.scores(["收入"])[1]


# --------------------------------------------------------------------- freshness


def test_fresh_index_has_no_stale_reasons(small_index):
    settings, index = small_index
    assert stale_reasons(read_manifest(settings.index_dir)) == []
    assert stale_reasons(read_manifest(settings.index_dir), settings.corpus_dir, "use-m") == []


@pytest.mark.parametrize("change, word", [("edit", "changed"), ("add", "added"), ("remove", "removed"), ("metadata", "added")])
def test_corpus_changes_are_reported(small_index, change, word):
    settings, _ = small_index
    corpus = Path(settings.corpus_dir)
    if change == "edit":
        name = "harbor.txt"
        (corpus / name).write_text("海风航运公司2024年营业收入为9.9亿元。\n", encoding="utf-8")
    elif change == "add":
        name = "museum.txt"
        (corpus / name).write_text("星河博物馆收藏文物三万件。\n", encoding="utf-8")
    elif change == "remove":
        name = "bridge.md"
        (corpus / name).unlink()
    else:
        name = "sources.json"
        (corpus / name).write_text('{"harbor": {"date": "2025-01-01"}}', encoding="utf-8")
    reasons = [r for r in stale_reasons(read_manifest(settings.index_dir)) if "corpus" in r]
    assert len(reasons) == 1
    assert word in reasons[0] and name in reasons[0]


def test_other_corpus_folder_is_reported(small_index, tmp_path, corpus_writer, small_corpus_files):
    settings, _ = small_index
    other = corpus_writer(tmp_path / "other", small_corpus_files)
    reasons = stale_reasons(read_manifest(settings.index_dir), other)
    assert reasons and str(other.resolve()) in reasons[0]


def test_factchecker_rebuilds_after_corpus_change(small_index):
    settings, _ = small_index
    corpus = Path(settings.corpus_dir)
    (corpus / "museum.txt").write_text("星河博物馆收藏文物三万件，馆长是赵敏。\n", encoding="utf-8")
    (corpus / "bridge.md").unlink()
    fc = FactChecker.load(index_dir=settings.index_dir)
    assert fc.status.startswith("rebuilt")
    assert "added" in fc.status and "removed" in fc.status
    assert set(fc.index.documents) == {"library", "harbor", "museum"}
    assert fc.search("星河博物馆收藏多少文物？", k=1)[0].doc_id == "museum"
    # the rebuilt index is current on disk: the next load just loads it
    assert stale_reasons(read_manifest(settings.index_dir)) == []
    assert FactChecker.load(index_dir=settings.index_dir, rebuild=False).status == "loaded"


def test_changed_corpus_without_rebuild_raises_stale(small_index):
    settings, _ = small_index
    (Path(settings.corpus_dir) / "harbor.txt").write_text("海风航运公司营收9.9亿元。\n", encoding="utf-8")
    with pytest.raises(IndexStaleError) as info:
        FactChecker.load(index_dir=settings.index_dir, rebuild=False)
    assert "harbor.txt" in str(info.value)


def test_other_embedder_name_is_stale(small_index):
    settings, _ = small_index
    manifest = read_manifest(settings.index_dir)
    reasons = stale_reasons(manifest, embedder="e5-small")
    assert reasons and "use-m" in reasons[0] and "e5-small" in reasons[0]
    before = _snapshot(Path(settings.index_dir))
    with pytest.raises(IndexStaleError):
        ensure_index(settings, embedder_name="e5-small", rebuild=False)
    assert _snapshot(Path(settings.index_dir)) == before


@pytest.mark.slow
def test_factchecker_rebuilds_for_another_embedder(small_index):
    settings, _ = small_index
    with pytest.raises(IndexStaleError):
        FactChecker.load(index_dir=settings.index_dir, embedder="e5-small", rebuild=False)
    fc = FactChecker.load(index_dir=settings.index_dir, embedder="e5-small")
    assert fc.status.startswith("rebuilt")
    assert fc.index.embedder_name == "e5-small" and fc.index.dim == 384
    assert fc.embedder.name == "e5-small"
    assert read_manifest(settings.index_dir)["embedder"] == {"name": "e5-small", "dim": 384}
    assert fc.search("海风航运公司的营业收入是多少？", k=1)[0].doc_id == "harbor"
    # Loaded again without naming an embedder, it keeps the one it was built with.
    again = FactChecker.load(index_dir=settings.index_dir, rebuild=False)
    assert again.status == "loaded" and again.embedder.name == "e5-small"


def test_missing_index_without_rebuild(tmp_path):
    empty = tmp_path / "nothing-here"
    with pytest.raises(IndexNotFoundError) as info:
        load_index(empty)
    assert str(empty) in str(info.value)
    with pytest.raises(IndexNotFoundError):
        ensure_index(Settings(index_dir=empty), rebuild=False)
    with pytest.raises(IndexNotFoundError):
        FactChecker.load(index_dir=empty, rebuild=False)
    assert not empty.exists() or not any(empty.iterdir())


def test_missing_index_is_built_from_the_given_corpus(tmp_path, small_corpus):
    fc = FactChecker.load(index_dir=tmp_path / "new-index", corpus_dir=small_corpus)
    assert fc.status == "built"
    assert set(fc.index.documents) == {"library", "harbor", "bridge"}
    assert (tmp_path / "new-index" / "CURRENT").is_file()


# --------------------------------------------------------------------- corruption


@pytest.fixture
def damaged(small_index):
    """The small index, with helpers to damage its current generation."""
    settings, _ = small_index
    directory = Path(settings.index_dir)
    return directory, directory / _current(directory)


def _edit_manifest(gen: Path, edit) -> None:
    path = gen / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    edit(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


DAMAGE = {
    "truncated dense.faiss": lambda gen: _truncate(gen / "dense.faiss"),
    "empty dense.faiss": lambda gen: (gen / "dense.faiss").write_bytes(b""),
    "edited chunk text": lambda gen: (gen / "texts.bin").write_bytes(
        (gen / "texts.bin").read_bytes().replace("图书馆".encode(), "博物馆".encode(), 1)),
    "truncated chunks.npy": lambda gen: _truncate(gen / "chunks.npy"),
    "truncated texts.bin": lambda gen: _truncate(gen / "texts.bin"),
    "truncated documents.jsonl": lambda gen: _truncate(gen / "documents.jsonl"),
    "truncated sentences.npy": lambda gen: _truncate(gen / "sentences.npy"),
    "deleted sentences.npy": lambda gen: (gen / "sentences.npy").unlink(),
    "garbage idf.json": lambda gen: (gen / "idf.json").write_text("{", encoding="utf-8"),
    "truncated manifest": lambda gen: _truncate(gen / "manifest.json"),
    "binary manifest": lambda gen: (gen / "manifest.json").write_bytes(b"\xff\xfe\x00\x01"),
    "manifest chunk count": lambda gen: _edit_manifest(gen, lambda m: m["counts"].update(chunks=m["counts"]["chunks"] + 1)),
    "manifest dimension": lambda gen: _edit_manifest(gen, lambda m: m["embedder"].update(dim=384)),
    "manifest checksum": lambda gen: _edit_manifest(gen, lambda m: m["files"].update({"chunks.npy": "0" * 64})),
    "manifest without files": lambda gen: _edit_manifest(gen, lambda m: m.pop("files")),
    "manifest embedder is a string": lambda gen: _edit_manifest(gen, lambda m: m.update(embedder="use-m")),
    "manifest files is a list": lambda gen: _edit_manifest(gen, lambda m: m.update(files=[])),
    "manifest counts is null": lambda gen: _edit_manifest(gen, lambda m: m.update(counts=None)),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_raises_index_corrupt_error(damaged, damage):
    directory, gen = damaged
    DAMAGE[damage](gen)
    with pytest.raises(IndexCorruptError) as info:
        load_index(directory)
    assert "factcheck index" in str(info.value)  # tells the user how to repair it


@pytest.mark.parametrize("damage", ["truncated dense.faiss", "empty dense.faiss", "truncated chunks.npy",
                                    "truncated documents.jsonl", "truncated sentences.npy", "garbage idf.json"])
def test_damaged_files_are_caught_even_without_checksums(damaged, damage):
    # verify=False skips the checksums: the readers' own errors (faiss, json,
    # numpy) must still come out as IndexCorruptError, not as their tracebacks.
    directory, gen = damaged
    DAMAGE[damage](gen)
    with pytest.raises(IndexCorruptError):
        load_index(directory, verify=False)


def test_current_pointing_at_a_missing_generation(damaged):
    directory, gen = damaged
    shutil.rmtree(gen)
    with pytest.raises(IndexCorruptError):
        load_index(directory)


@pytest.mark.parametrize("damage", ["truncated dense.faiss", "edited chunk text", "deleted sentences.npy",
                                    "manifest checksum", "manifest chunk count"])
def test_factchecker_rebuilds_a_damaged_index(damaged, damage):
    directory, gen = damaged
    DAMAGE[damage](gen)
    with pytest.raises(IndexCorruptError):
        FactChecker.load(index_dir=directory, rebuild=False)
    fc = FactChecker.load(index_dir=directory)
    assert fc.status.startswith("rebuilt")
    assert set(fc.index.documents) == {"library", "harbor", "bridge"}
    assert fc.search("青山市图书馆藏书多少册？", k=1)[0].doc_id == "library"
    load_index(directory)  # the new generation verifies


@pytest.mark.parametrize("damage", ["truncated manifest", "binary manifest", "manifest embedder is a string",
                                    "manifest files is a list"])
def test_unreadable_manifest_never_swaps_in_another_corpus(damaged, damage):
    # With the manifest unreadable, FactChecker.load may rebuild from the corpus
    # the index was made of, or stop with a FactCheckError asking for --corpus;
    # it must not crash with a raw traceback, nor quietly replace the user's
    # index with an index of some other folder (the bundled seeds).
    directory, gen = damaged
    DAMAGE[damage](gen)
    try:
        fc = FactChecker.load(index_dir=directory)
    except FactCheckError:
        return
    assert set(fc.index.documents) == {"library", "harbor", "bridge"}, fc.status


def test_index_of_an_older_format_is_rebuilt_from_its_own_corpus(damaged):
    # What every user sees after upgrading to a version with a new index format.
    directory, gen = damaged
    _edit_manifest(gen, lambda m: m.update(format_version=store_module.FORMAT_VERSION - 1))
    with pytest.raises(IndexStaleError):
        load_index(directory)
    fc = FactChecker.load(index_dir=directory)
    assert fc.status.startswith("rebuilt")
    assert set(fc.index.documents) == {"library", "harbor", "bridge"}


# --------------------------------------------------------------------- generations


def test_publish_is_atomic_and_keeps_the_previous_generation(tmp_path, small_corpus, use_embedder):
    directory = tmp_path / "index"
    settings = Settings(corpus_dir=small_corpus, index_dir=directory)
    build_index(settings, use_embedder, progress=False)
    first = _current(directory)
    assert _generations(directory) == [first]

    (small_corpus / "museum.txt").write_text("星河博物馆收藏文物三万件。\n", encoding="utf-8")
    build_index(settings, use_embedder, progress=False)
    second = _current(directory)
    assert second != first
    assert sorted(_generations(directory)) == sorted([first, second])
    # A reader that read CURRENT just before the swap can still open every file
    # of the older generation, and each matches its checksum.
    assert _gen_verifies(directory / first)
    assert _gen_verifies(directory / second)
    assert set(load_index(directory).documents) == {"library", "harbor", "bridge", "museum"}

    build_index(settings, use_embedder, progress=False)
    third = _current(directory)
    assert sorted(_generations(directory)) == sorted([second, third])  # the oldest is gone now
    assert not [p for p in directory.iterdir() if p.name.startswith((".tmp", ".CURRENT"))]


class _FailingEmbedder:
    """The real USE-m, except that embedding passages fails after the first batch."""

    def __init__(self, real):
        self.real = real
        self.name = real.name
        self.dim = real.dim
        self.calls = 0

    def embed_passages(self, texts, progress=None):
        self.calls += 1
        self.real.embed_passages(list(texts)[:8], progress)
        raise RuntimeError("embedding backend crashed")

    def embed_queries(self, texts):
        return self.real.embed_queries(texts)


def test_failed_embedding_leaves_previous_index_untouched(small_index, use_embedder):
    settings, _ = small_index
    directory = Path(settings.index_dir)
    (Path(settings.corpus_dir) / "museum.txt").write_text("星河博物馆收藏文物三万件。\n", encoding="utf-8")
    before = _snapshot(directory)
    failing = _FailingEmbedder(use_embedder)
    with pytest.raises(RuntimeError, match="crashed"):
        build_index(settings, failing, progress=False)
    assert failing.calls == 1
    assert _snapshot(directory) == before
    assert set(load_index(directory).documents) == {"library", "harbor", "bridge"}


def test_failed_write_leaves_previous_index_untouched(small_index, use_embedder, monkeypatch):
    settings, _ = small_index
    directory = Path(settings.index_dir)
    before = _snapshot(directory)
    current = _current(directory)

    def disk_full(self, target):
        (target / "bm25").mkdir(exist_ok=True)
        (target / "bm25" / "partial.bin").write_bytes(b"\x00" * 10)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LexicalIndex, "save", disk_full)
    with pytest.raises(OSError):
        build_index(settings, use_embedder, progress=False)
    assert _current(directory) == current
    assert _snapshot(directory) == before  # no half-written generation left behind
    load_index(directory)


def test_reader_racing_a_publish_sees_one_whole_generation(small_index, use_embedder, monkeypatch):
    # A build publishes right after a reader has opened the manifest, before it
    # opens the other files. The module promises that a reader sees "either the
    # old index or the new one, never half of one". The race is staged by
    # hooking file opens, whatever function of the store does the reading.
    import builtins
    import pathlib

    settings, _ = small_index
    directory = Path(settings.index_dir)
    (Path(settings.corpus_dir) / "museum.txt").write_text("星河博物馆收藏文物三万件。\n", encoding="utf-8")
    state = {"raced": False, "building": False}
    real_open, real_path_open = builtins.open, pathlib.Path.open

    def after_manifest_opened(file, mode):
        if (not state["raced"] and not state["building"] and "r" in mode
                and Path(file).name == "manifest.json" and Path(file).resolve().is_relative_to(directory.resolve())):
            state["raced"] = state["building"] = True
            try:
                build_index(settings, use_embedder, progress=False)  # the concurrent writer
            finally:
                state["building"] = False

    def hooked_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if isinstance(file, (str, Path)):
            after_manifest_opened(file, mode)
        return handle

    def hooked_path_open(self, mode="r", *args, **kwargs):
        handle = real_path_open(self, mode, *args, **kwargs)
        after_manifest_opened(self, mode)
        return handle

    monkeypatch.setattr(builtins, "open", hooked_open)
    monkeypatch.setattr(pathlib.Path, "open", hooked_path_open)
    index = load_index(directory)
    monkeypatch.undo()
    assert state["raced"]
    assert set(index.documents) in ({"library", "harbor", "bridge"}, {"library", "harbor", "bridge", "museum"})
    assert len(index.chunks) == index.manifest["counts"]["chunks"] == index.dense.ntotal
    assert {c.doc_id for c in index.chunks} == set(index.documents)


def test_build_refuses_an_embedder_that_does_not_match_settings(tmp_path, small_corpus, use_embedder):
    settings = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "index", embedder="e5-small")
    with pytest.raises(ValueError):
        build_index(settings, use_embedder, progress=False)
    assert not (tmp_path / "index" / "CURRENT").exists()
