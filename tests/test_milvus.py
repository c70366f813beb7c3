"""The Milvus backend against the local one, on a real Milvus Lite database in a tmp folder.

Milvus Lite lets one process open a database at a time, and this process keeps its client open
for the session: the CLI tests (other processes) use databases this process never opens.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from index import Settings, build_index, load_index  # noqa: E402
from index.config import SEEDS_DIR  # noqa: E402
from index.errors import IndexCorruptError  # noqa: E402
from index.milvus import connect  # noqa: E402
from retriever import FactChecker  # noqa: E402
from retriever.evaluation import TOPICS_DIR, load_gold, load_topics  # noqa: E402

NET_LOSS = "智谱2025年上半年净亏损是多少？"


def _run(exe, *args, env=None, timeout=300):  # type: ignore[no-untyped-def]
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})})


def _answer(data: dict) -> dict:
    """An answer's JSON without the retrieval scores (floats the two backends may round apart)."""
    data = json.loads(json.dumps(data))
    for passage in data.get("passages", []):
        for key in ("score", "dense_score", "lexical_score"):
            passage.pop(key, None)
    return data


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    """A Milvus Lite database for this process' tests."""
    return str(tmp_path_factory.mktemp("milvus") / "lite.db")


@pytest.fixture(scope="module")
def seeds_milvus(tmp_path_factory, lite, use_embedder):
    settings = Settings(corpus_dir=SEEDS_DIR, index_dir=tmp_path_factory.mktemp("seeds-milvus") / "index",
                        backend="milvus", milvus_uri=lite)
    build_index(settings, embedder=use_embedder, progress=False)
    return FactChecker.load(index_dir=settings.index_dir, rebuild=False)


def test_cli_net_loss_conflict_same_as_local(tmp_path, factcheck_exe, cli_index_dir):
    """The done-when check: seeds indexed into Milvus Lite by the CLI; the net-loss question is a
    conflict showing both values, exactly the local backend's answer."""
    index = tmp_path / "index"
    built = _run(factcheck_exe, "index", "--index", index, "--backend", "milvus", "--milvus-uri", tmp_path / "m.db")
    assert built.returncode == 0, built.stderr
    assert "Traceback" not in built.stderr
    manifest = json.loads(next(index.glob("gen-*/manifest.json")).read_text(encoding="utf-8"))
    assert manifest["backend"]["kind"] == "milvus" and manifest["backend"]["uri"] == str(tmp_path / "m.db")
    assert not list(index.glob("gen-*/dense.faiss")) and not list(index.glob("gen-*/sentences.npy"))

    milvus = _run(factcheck_exe, "ask", NET_LOSS, "--index", index, "--json", "--no-rebuild")
    local = _run(factcheck_exe, "ask", NET_LOSS, "--index", cli_index_dir, "--json", "--no-rebuild")
    assert milvus.returncode == 0 and local.returncode == 0, milvus.stderr + local.stderr
    got, want = json.loads(milvus.stdout), json.loads(local.stdout)
    assert got["verdict"] == "conflict"
    values = " ".join(g["value"] for g in got["check"]["groups"])
    assert "23.58" in values and "17.52" in values
    assert _answer(got) == _answer(want)

    text = _run(factcheck_exe, "ask", NET_LOSS, "--index", index, "--no-rebuild")
    assert "Verdict: conflict" in text.stdout and "23.58" in text.stdout and "17.52" in text.stdout
    info = _run(factcheck_exe, "info", "--index", index, "--json")
    assert json.loads(info.stdout)["backend"] == {"kind": "milvus", "uri": str(tmp_path / "m.db")}


def _same_answers(local: FactChecker, milvus: FactChecker, questions: list[str]) -> None:
    differ = []
    for question in questions:
        a, b = local.ask(question).to_dict(), milvus.ask(question).to_dict()
        if _answer(a) != _answer(b):
            differ.append((question, a["verdict"], b["verdict"]))
    assert not differ, differ


@pytest.mark.slow
def test_same_answers_on_the_seeds_gold_set(fc, seeds_milvus):
    """Every question of eval/gold.jsonl: same verdict, values, citations and passages."""
    questions = [g.question for g in load_gold()]
    assert len(questions) > 150
    _same_answers(fc, seeds_milvus, questions)


@pytest.mark.slow
def test_same_answers_on_the_topics_gold_set(tmp_path_factory, lite, use_embedder):
    """Every question of eval/topics (its own and the cross-lingual ones), on both backends."""
    checkers = []
    for backend in ("local", "milvus"):
        settings = Settings(corpus_dir=TOPICS_DIR / "corpus", index_dir=tmp_path_factory.mktemp(backend) / "index",
                            backend=backend, milvus_uri=lite)
        build_index(settings, embedder=use_embedder, progress=False)
        checkers.append(FactChecker.load(index_dir=settings.index_dir, rebuild=False))
    questions = [c.question for c in load_topics()]
    with open(TOPICS_DIR / "crosslingual.jsonl", encoding="utf-8") as handle:
        questions += [json.loads(line)["question"] for line in handle if line.strip()]
    assert len(questions) > 200
    _same_answers(*checkers, questions)


def test_search_and_info_match_local(fc, seeds_milvus):
    for question in ("2024年营收是多少？", "Who founded the company?", "上市"):
        got = [(p.chunk_id, p.text) for p in seeds_milvus.search(question, k=8)]
        want = [(p.chunk_id, p.text) for p in fc.search(question, k=8)]
        assert got == want
    assert seeds_milvus.info()["counts"] == fc.info()["counts"]
    assert seeds_milvus.index.vectors.kind == "milvus" and fc.index.vectors.kind == "local"


def test_term_weights_match_local(fc, seeds_milvus):
    # the first-sentence words of search read stored BM25 weights from either backend
    import numpy as np

    terms = ["营收", "亏损", "上市", "估值", "not-a-term"]
    ids = np.arange(0, len(fc.index.chunks), 7, dtype=np.int64)
    got = seeds_milvus.index.vectors.term_weights(terms, ids)
    want = fc.index.vectors.term_weights(terms, ids)
    assert got.shape == want.shape == (len(ids), len(terms)) and want.any()
    assert np.allclose(got, want, atol=1e-6)


def test_add_and_remove_on_milvus(tmp_path, lite, use_embedder, seed_ids):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS_DIR, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", backend="milvus", milvus_uri=lite)
    build_index(settings, embedder=use_embedder, progress=False)
    checker = FactChecker.load(index_dir=settings.index_dir, rebuild=False)
    assert checker.ask(NET_LOSS).verdict.value == "conflict"
    tag_collections = lambda: {n for n in connect(lite).list_collections()  # noqa: E731
                               if n.startswith(checker.index.manifest["backend"]["collections"]["chunks"][:22])}
    removed = seed_ids["001"]
    report = checker.remove([removed])
    assert report["removed"] == [removed]
    assert removed not in checker.index.documents and checker.index.vectors.kind == "milvus"
    assert checker.ask(NET_LOSS).verdict.value != "conflict"  # the other figure's source is gone
    path = next((corpus / ".removed").iterdir())
    restored = tmp_path / f"{removed}.txt"
    shutil.copyfile(path, restored)
    report = checker.add([restored])
    assert report["added"] == [removed] and report["embedded"] > 0
    assert checker.ask(NET_LOSS).verdict.value == "conflict"
    # a fresh load sees the same; only the current and the previous generation keep collections
    again = FactChecker.load(index_dir=settings.index_dir, rebuild=False)
    assert again.ask(NET_LOSS).verdict.value == "conflict"
    assert len(tag_collections()) == 6


def test_dropped_collection_is_a_clear_error_then_a_rebuild(tmp_path, lite, use_embedder):
    settings = Settings(corpus_dir=SEEDS_DIR, index_dir=tmp_path / "index", backend="milvus", milvus_uri=lite)
    index, _ = build_index(settings, embedder=use_embedder, progress=False)
    connect(lite).drop_collection(index.manifest["backend"]["collections"]["sentences"])
    with pytest.raises(IndexCorruptError, match="has no collection .*_sentences.*factcheck index"):
        load_index(settings.index_dir)
    with pytest.raises(IndexCorruptError):
        FactChecker.load(index_dir=settings.index_dir, rebuild=False)
    rebuilt = FactChecker.load(index_dir=settings.index_dir)  # a safe rebuild, into Milvus again
    assert rebuilt.status.startswith("rebuilt") and rebuilt.index.vectors.kind == "milvus"
    assert rebuilt.ask(NET_LOSS).verdict.value == "conflict"


def test_rows_deleted_outside_factcheck_are_a_clear_error(tmp_path, lite, use_embedder):
    settings = Settings(corpus_dir=SEEDS_DIR, index_dir=tmp_path / "index", backend="milvus", milvus_uri=lite)
    index, _ = build_index(settings, embedder=use_embedder, progress=False)
    name = index.manifest["backend"]["collections"]["chunks"]
    client = connect(lite)
    client.delete(name, filter="id < 10")
    client.flush(name)
    with pytest.raises(IndexCorruptError, match="changed outside factcheck"):
        load_index(settings.index_dir)


def test_cli_missing_database_is_a_clear_error(tmp_path, factcheck_exe):
    index = tmp_path / "index"
    db = tmp_path / "m.db"
    assert _run(factcheck_exe, "index", "--index", index, "--milvus-uri", db).returncode == 0
    shutil.rmtree(db)
    result = _run(factcheck_exe, "ask", NET_LOSS, "--index", index, "--no-rebuild")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "has no collection" in result.stderr and "factcheck index" in result.stderr


def test_cli_bad_uri_and_database_in_use(tmp_path, factcheck_exe):
    bad = _run(factcheck_exe, "index", "--index", tmp_path / "i", "--milvus-uri", tmp_path / "folder")
    assert bad.returncode == 2 and "ending in .db" in bad.stderr and "Traceback" not in bad.stderr
    db = tmp_path / "busy.db"
    assert _run(factcheck_exe, "index", "--index", tmp_path / "index", "--milvus-uri", db).returncode == 0
    holder = subprocess.Popen([sys.executable, "-c", f"from index.milvus import connect; connect({str(db)!r}); "
                               "print('open', flush=True); import time; time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True, env={**os.environ})
    try:
        assert holder.stdout.readline().strip() == "open"
        busy = _run(factcheck_exe, "ask", NET_LOSS, "--index", tmp_path / "index", "--no-rebuild")
        assert busy.returncode == 2 and "Traceback" not in busy.stderr
        assert "one process" in busy.stderr
    finally:
        holder.kill()
        holder.wait()


def test_token_is_never_written(tmp_path, use_embedder):
    secret = "root:not-written-anywhere"
    settings = Settings(corpus_dir=SEEDS_DIR, index_dir=tmp_path / "index", backend="milvus",
                        milvus_uri=str(tmp_path / "t.db"), milvus_token=secret)
    assert secret not in repr(settings)
    index, _ = build_index(settings, embedder=use_embedder, progress=False)  # Milvus Lite accepts any token
    files = [p for p in (tmp_path / "index").rglob("*") if p.is_file()]
    assert any(p.name == "manifest.json" for p in files)
    for path in files:
        assert secret.encode() not in path.read_bytes(), path


def test_missing_pymilvus_names_the_extra(tmp_path, seeds_milvus):
    """Without pymilvus, opening a Milvus index says what to install (and nothing else imports it)."""
    code = (
        "import sys; sys.modules['pymilvus'] = None\n"
        "from retriever.cli import main\n"
        f"code = main(['ask', {NET_LOSS!r}, '--index', {str(seeds_milvus.index.directory)!r}, '--no-rebuild'])\n"
        "assert 'pymilvus' not in sys.modules or sys.modules['pymilvus'] is None\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 2, result.stderr
    assert "pip install -e '.[milvus]'" in result.stderr and "Traceback" not in result.stderr


def test_local_default_never_imports_pymilvus(cli_index_dir):
    code = (
        "import sys\n"
        "from retriever import FactChecker\n"
        f"fc = FactChecker.load(index_dir={str(cli_index_dir)!r}, rebuild=False)\n"
        f"fc.ask({NET_LOSS!r})\n"
        "print('pymilvus' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
