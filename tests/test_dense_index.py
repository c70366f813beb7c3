"""The dense index picked by size: exact (flat) for small corpora, HNSW from ``Settings.hnsw_from``
chunks, recorded in the manifest and used by every later load, locally and in Milvus."""

from __future__ import annotations

import faiss
import pytest

from index import Settings, build_index, load_index
from index.config import SEEDS_DIR
from index.errors import FactCheckError
from index.store import dense_layout, estimate_chunks
from index.update import remove_documents
from retriever import FactChecker

QUESTIONS = ("智谱2025年上半年净亏损是多少？", "2024年营收是多少？", "How many enterprise customers does Zhipu have?")


def test_small_corpus_stays_exact(seeds_index):
    assert seeds_index.manifest["dense_index"] == {"kind": "flat"}
    assert isinstance(seeds_index.dense, faiss.IndexFlatIP)


def test_estimate_is_near_the_real_count(seed_corpus, seeds_index):
    estimate = estimate_chunks(seed_corpus[0], Settings())
    assert 0.5 * len(seeds_index.chunks) <= estimate <= 2 * len(seeds_index.chunks)


def test_layout_by_size_and_bad_kind():
    settings = Settings(hnsw_from=1000)
    assert dense_layout(settings, 999) == {"kind": "flat"}
    layout = dense_layout(settings, 1000)
    assert layout["kind"] == "hnsw" and layout["ef_search"] >= settings.candidates
    assert dense_layout(Settings(dense_index="flat"), 10**9) == {"kind": "flat"}
    with pytest.raises(FactCheckError, match="auto, flat or hnsw"):
        dense_layout(Settings(dense_index="ivf"), 10)


def test_hnsw_above_the_threshold_answers_like_flat(tmp_path, use_embedder, fc, seed_ids):
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", hnsw_from=50)
    import shutil

    shutil.copytree(SEEDS_DIR, settings.corpus_dir)
    index, _ = build_index(settings, embedder=use_embedder, progress=False)
    assert index.manifest["dense_index"]["kind"] == "hnsw"
    loaded = load_index(settings.index_dir)
    assert isinstance(loaded.dense, faiss.IndexHNSWFlat)
    assert loaded.dense.hnsw.efSearch == index.manifest["dense_index"]["ef_search"]
    hnsw = FactChecker.load(index_dir=settings.index_dir, rebuild=False)
    for question in QUESTIONS:  # a few hundred vectors and efSearch ≥ 50: HNSW finds what flat finds
        assert hnsw.ask(question).to_dict()["verdict"] == fc.ask(question).to_dict()["verdict"]
        assert [p.chunk_id for p in hnsw.search(question, k=10)] == [p.chunk_id for p in fc.search(question, k=10)]
    updated, _ = remove_documents(settings.index_dir, [seed_ids["004"]])
    assert updated.manifest["dense_index"]["kind"] == "hnsw" and isinstance(updated.dense, faiss.IndexHNSWFlat)


def test_milvus_hnsw(tmp_path, use_embedder, fc):
    settings = Settings(corpus_dir=SEEDS_DIR, index_dir=tmp_path / "index", dense_index="hnsw", backend="milvus",
                        milvus_uri=str(tmp_path / "h.db"))
    build_index(settings, embedder=use_embedder, progress=False)
    from index.milvus import connect

    checker = FactChecker.load(index_dir=settings.index_dir, rebuild=False)
    chunks = checker.index.manifest["backend"]["collections"]["chunks"]
    assert connect(settings.milvus_uri).describe_index(chunks, "vector")["index_type"] == "HNSW"
    for question in QUESTIONS:
        assert checker.ask(question).to_dict()["verdict"] == fc.ask(question).to_dict()["verdict"]
