"""The build keeps the dense index away from the BM25 step: chunk vectors are streamed to a file in
the generation being staged, and the FAISS index is built from it once the BM25 weights are written
(index.store._LocalWriter). These tests check that this changes nothing a reader can see (the flat
index is the one adding the vectors as they came gives, bit for bit, so every search is the same)
and that the file never outlives the build: not after a build, not after a failed one, and after a
killed one only inside the staging folder the next build clears."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import faiss
import numpy as np
import pytest

from index import SEEDS_DIR, Settings, build_index, load_index
from index import store as store_module
from index.lexical import LexicalIndex
from retriever import HybridSearcher

QUESTIONS = ("智谱2025年上半年的净亏损是多少？", "What was Zhipu's revenue in 2024?", "智譜的股票代碼是多少？",
             "港股上市募资多少？")


def _leftovers(directory: Path) -> list[str]:
    """Files or folders under an index folder that only a build in progress should hold."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*")
                  if p.name == store_module.CHUNK_VECTORS_FILE or p.name.startswith(".tmp-gen-"))


class _Recording:
    """The real USE-m, keeping every batch it was asked for and the vectors it returned."""

    def __init__(self, real):
        self.real, self.name, self.dim = real, real.name, real.dim
        self.calls: list[tuple[list[str], np.ndarray]] = []

    def embed_passages(self, texts, progress=None):
        vectors = self.real.embed_passages(texts, progress)
        self.calls.append((list(texts), np.array(vectors, dtype=np.float32)))
        return vectors

    def embed_queries(self, texts):
        return self.real.embed_queries(texts)


def _chunk_vectors_as_embedded(calls, chunk_texts: list[str], sentence_texts: list[str]) -> list[np.ndarray]:
    """The chunk vectors of each batch, as the embedder returned them: a batch is its chunks'
    texts, then its sentences' (the split is found by matching both against the index's texts)."""
    rows, c, s = [], 0, 0
    for texts, vectors in calls:
        splits = [a for a in range(len(texts) + 1)
                  if texts[:a] == chunk_texts[c:c + a] and texts[a:] == sentence_texts[s:s + len(texts) - a]]
        assert len(splits) == 1, "a batch that is not the next chunks then the next sentences"
        a = splits[0]
        rows.append(vectors[:a])
        c, s = c + a, s + len(texts) - a
    assert (c, s) == (len(chunk_texts), len(sentence_texts))
    return rows


def test_streamed_flat_index_equals_the_one_built_in_memory(tmp_path, use_embedder, monkeypatch):
    # many embedding batches, and dense blocks that do not divide the chunk count
    monkeypatch.setattr(store_module, "EMBED_BATCH", 64)
    monkeypatch.setattr(store_module, "DENSE_BLOCK", 7)
    recording = _Recording(use_embedder)
    settings = Settings(corpus_dir=SEEDS_DIR, index_dir=tmp_path / "index", dense_index="flat")
    built, _ = build_index(settings, recording, progress=False)
    assert len(recording.calls) > 3
    loaded = load_index(settings.index_dir)
    chunk_texts = [c.text for c in loaded.chunks]
    batches = _chunk_vectors_as_embedded(recording.calls, chunk_texts, [s.text for s in loaded.sentences])
    assert len(chunk_texts) > 2 * 7 and len(chunk_texts) % 7

    memory = faiss.IndexFlatIP(use_embedder.dim)  # what the build did before: add each batch as it came
    for batch in batches:
        memory.add(np.ascontiguousarray(batch))
    vectors = np.vstack(batches)
    for index in (built, loaded):
        assert isinstance(index.dense, faiss.IndexFlatIP) and index.dense.ntotal == memory.ntotal
        np.testing.assert_array_equal(index.dense.reconstruct_n(0, index.dense.ntotal), vectors)
    queries = np.asarray(use_embedder.embed_queries(list(QUESTIONS)), dtype=np.float32)
    expected = memory.search(queries, memory.ntotal)
    for index in (built, loaded):
        got = index.dense.search(queries, memory.ntotal)
        np.testing.assert_array_equal(got[1], expected[1])
        np.testing.assert_array_equal(got[0], expected[0])
    # and the searches a user runs: the same passages with the same scores, in every mode
    in_memory = HybridSearcher(dataclasses.replace(loaded, dense=memory, vectors=None), use_embedder)
    for index in (built, loaded):
        searcher = HybridSearcher(index, use_embedder)
        for question in QUESTIONS:
            for mode in ("hybrid", "dense", "lexical"):
                a = [(p.chunk_id, p.score) for p in searcher.search(question, k=10, mode=mode)]
                b = [(p.chunk_id, p.score) for p in in_memory.search(question, k=10, mode=mode)]
                assert a == b, (question, mode)
    assert not _leftovers(settings.index_dir)
    assert store_module.CHUNK_VECTORS_FILE not in built.manifest["files"]


def test_streamed_hnsw_index_keeps_its_parameters(tmp_path, use_embedder, monkeypatch):
    monkeypatch.setattr(store_module, "DENSE_BLOCK", 50)
    settings = Settings(corpus_dir=SEEDS_DIR, index_dir=tmp_path / "index", dense_index="hnsw", hnsw_m=16,
                        hnsw_ef_construction=80, hnsw_ef_search=300)
    build_index(settings, use_embedder, progress=False)
    dense = load_index(settings.index_dir).dense
    assert isinstance(dense, faiss.IndexHNSWFlat)
    assert (dense.hnsw.efConstruction, dense.hnsw.efSearch, dense.hnsw.nb_neighbors(1)) == (80, 300, 16)
    n = dense.ntotal
    exact = faiss.IndexFlatIP(dense.d)
    exact.add(dense.reconstruct_n(0, n))
    # a few hundred vectors and efSearch 300: the graph reaches every vector a flat search ranks
    queries = np.asarray(use_embedder.embed_queries(list(QUESTIONS)), dtype=np.float32)
    np.testing.assert_array_equal(dense.search(queries, 10)[1], exact.search(queries, 10)[1])
    assert not _leftovers(settings.index_dir)


def test_a_build_failing_after_the_vectors_leaves_no_vector_file(small_index, use_embedder, monkeypatch):
    settings, _ = small_index
    directory = Path(settings.index_dir)
    before = sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))
    seen: list[bool] = []

    def disk_full(self, target):  # the BM25 write, after every vector is in the staging folder
        seen.append((target / store_module.CHUNK_VECTORS_FILE).stat().st_size > 512 * 4)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LexicalIndex, "save", disk_full)
    with pytest.raises(OSError):
        build_index(settings, use_embedder, progress=False)
    assert seen == [True]
    assert not _leftovers(directory)
    assert sorted(str(p.relative_to(directory)) for p in directory.rglob("*")) == before


def test_a_build_killed_while_the_dense_index_is_built_leaves_the_file_in_its_staging_folder_only(
        tmp_path, use_embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS_DIR, corpus)
    directory = tmp_path / "index"
    settings = Settings(corpus_dir=corpus, index_dir=directory)
    build_index(settings, use_embedder, progress=False)
    current = (directory / "CURRENT").read_text()
    (corpus / "museum.txt").write_text("星河博物馆收藏文物三万件，馆长是赵敏。\n", encoding="utf-8")
    # a real process killed (SIGKILL) right as it starts reading the vectors back into FAISS
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from index import Settings, build_index
        from index import store

        blocks = store._row_blocks

        def killed(path, rows):
            os.kill(os.getpid(), signal.SIGKILL)
            yield from blocks(path, rows)

        store._row_blocks = killed
        build_index(Settings(corpus_dir=Path({str(corpus)!r}), index_dir=Path({str(directory)!r})), progress=False)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(store_module.__file__).parents[1]),
                                                      os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=300)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    left = _leftovers(directory)
    assert len(left) == 2 and left[0].startswith(".tmp-gen-") and left[1].endswith(store_module.CHUNK_VECTORS_FILE)
    assert (directory / "CURRENT").read_text() == current
    assert len(load_index(directory).documents) == 5  # the previous index, whole
    build_index(settings, use_embedder, progress=False)  # the next build clears what the killed one left
    assert not _leftovers(directory)
    assert "museum" in load_index(directory).documents
