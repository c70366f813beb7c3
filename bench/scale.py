"""Scaling: 1k, 10k and 100k chunks — index-layer build, size on disk, RSS, search latency, ANN recall,
bm25s vs rank-bm25, and the project's own HybridSearcher.search / FactChecker.ask.

    python bench/scale.py                  # 1k, 10k, 100k (first run also prepares the cache, see below)
    python bench/scale.py --quick          # 1k and 10k, fewer repetitions
    python bench/scale.py --sizes 100k     # one size
    python bench/scale.py --prepare-only   # generate the corpora and embed them, nothing else

Preparation (once, cached under bench/.cache/scale/): corpora are generated from the seeds by
bench/_corpus.py (seed sentences recombined across articles, names and figures perturbed; the five
seeds are included verbatim so the gold questions keep their answers); every distinct chunk and
sentence text that the project's chunker produces from the largest corpus is embedded with the
real use-m, in two single-threaded worker processes, and stored (texts.json + vectors.npy). Later
runs embed only texts they have not seen (e.g. after a chunker change). Nothing is approximated:
the vectors of every size are use-m's own.

Per size, each part in a fresh process (1 BLAS/OpenMP thread, ``faiss.omp_set_num_threads(1)``):

* index layer, from the cached vectors and the project's jieba tokens: FAISS IndexFlatIP,
  IndexHNSWFlat (inner product; M=32, efConstruction=40) and IndexIVFFlat (inner product,
  nlist≈2·√N) — build time, size, single-query search p50/p95 at the project's candidate depth
  (k=50) over the gold questions, recall@10 and recall@50 against the flat index; bm25s (through the
  project's LexicalIndex) vs rank_bm25.BM25Okapi — indexing time and query time; writing the layer
  (dense.faiss, sentences.npy, bm25/) and the RSS after loading it in a fresh process.
* the project: ``index.store.build_index`` on the generated folder with an embedder object that
  returns the cached use-m vectors (and embeds for real any text it has not cached); then, in a
  fresh process, the index is loaded (RSS after load) and ``FactChecker.search`` /
  ``FactChecker.ask`` are timed over the gold questions with the real use-m embedding each question.

Targets (issue): at 100k chunks, search p50 ≤ 50 ms and RSS after load ≤ 1.5 GB.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

C.ensure_venv()
THREADS = C.argv_int("--threads", 1)
C.pin_threads(THREADS)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import pickle  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
CACHE = C.CACHE_DIR / "scale"
VECTORS = CACHE / "vectors"
K = 50  # the project's candidate depth (Settings.candidates)
HNSW_M, HNSW_EFC = 32, 40
EF_SEARCH = (32, 64, 128, 256, 512)
NPROBE = (1, 4, 16, 64)
TARGET_P50_MS, TARGET_RSS_MB = 50.0, 1536.0
SHARD = 2048


def log(msg: str) -> None:
    print(msg, flush=True)


# ----------------------------------------------------------------------------- cached vectors


class VectorCache:
    """Distinct texts and their use-m vectors (float32, unit rows)."""

    def __init__(self, directory: Path = VECTORS) -> None:
        import numpy as np

        self.directory = directory
        texts_path, vec_path = directory / "texts.json", directory / "vectors.npy"
        if texts_path.exists() and vec_path.exists():
            self.texts = json.loads(texts_path.read_text(encoding="utf-8"))
            self.vectors = np.load(vec_path, mmap_mode="r")
            assert self.vectors.shape[0] == len(self.texts)
        else:
            self.texts, self.vectors = [], np.zeros((0, 512), dtype=np.float32)
        self.row = {t: i for i, t in enumerate(self.texts)}

    def lookup(self, texts) -> "object":  # type: ignore[no-untyped-def]
        import numpy as np

        rows = np.fromiter((self.row[t] for t in texts), dtype=np.int64, count=len(texts))
        return np.asarray(self.vectors[rows], dtype=np.float32)


class CachedUseEmbedder:
    """A use-m embedder for build_index that returns cached vectors (a benchmark harness: the
    vectors are use-m's own, computed once); texts not in the cache are embedded for real."""

    name = "use-m"
    dim = 512

    def __init__(self, cache: VectorCache) -> None:
        self.cache = cache
        self._real = None
        self.misses = 0
        self.lookup_seconds = 0.0

    def _model(self):  # type: ignore[no-untyped-def]
        if self._real is None:
            from index.embedders import load_embedder

            self._real = load_embedder("use-m", THREADS)
        return self._real

    def embed_passages(self, texts, progress=None):  # type: ignore[no-untyped-def]
        import numpy as np

        t = time.perf_counter()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        known = [i for i, s in enumerate(texts) if s in self.cache.row]
        missing = [i for i, s in enumerate(texts) if s not in self.cache.row]
        if known:
            out[known] = self.cache.lookup([texts[i] for i in known])
        self.lookup_seconds += time.perf_counter() - t
        if missing:
            self.misses += len(missing)
            out[missing] = self._model().embed_passages([texts[i] for i in missing])
        if progress:
            progress(len(texts))
        return out

    def embed_queries(self, texts):  # type: ignore[no-untyped-def]
        return self._model().embed_queries(texts)


def corpus_texts(size: str) -> tuple[list[str], list[str], list[int]]:
    """Chunk texts, sentence texts and each chunk's sentence positions of a generated corpus,
    exactly as the project's loader and chunker produce them."""
    from index.chunks import chunk_documents
    from index.corpus import load_corpus

    documents, _ = load_corpus(CACHE / f"corpus-{size}")
    chunks, sentences = chunk_documents(documents, 220, 60)
    return [c.text for c in chunks], [s.text for s in sentences], [len(c.sentence_ids) for c in chunks]


def _code_key(*names: str) -> str:
    digest = hashlib.sha256()
    for name in names:
        digest.update((C.ROOT / name).read_bytes())
    return digest.hexdigest()[:12]


def prepare(sizes: dict[str, int], workers: int) -> dict:
    """Generate the corpora (if needed) and embed every distinct text (if not cached)."""
    import _corpus

    CACHE.mkdir(parents=True, exist_ok=True)
    key = _code_key("bench/_corpus.py", "index/chunks.py", "index/corpus.py")
    desc_path = CACHE / "corpus.json"
    desc = json.loads(desc_path.read_text()) if desc_path.exists() else {}
    need = {k: v for k, v in SIZES.items() if v <= max(sizes.values())}
    if desc.get("key") != key or any(k not in desc.get("sizes", {}) for k in need) \
            or not all((CACHE / f"corpus-{k}").is_dir() for k in need):
        log(f"generating corpora {list(need)} …")
        t = time.perf_counter()
        desc = _corpus.generate(CACHE, need, log=log)
        desc["key"] = key
        desc["generate_seconds"] = time.perf_counter() - t
        desc_path.write_text(json.dumps(desc, indent=1))
    largest = max(need, key=lambda k: need[k])
    t = time.perf_counter()
    chunks, sentences, _ = corpus_texts(largest)
    distinct = list(dict.fromkeys(chunks + sentences))
    cache = VectorCache()
    todo = [t_ for t_ in distinct if t_ not in cache.row]
    log(f"{largest}: {len(chunks):,} chunks, {len(sentences):,} sentences, {len(distinct):,} distinct texts; "
        f"{len(todo):,} to embed")
    if todo:
        embed_texts(todo, workers)
    desc.setdefault("embedding", {})
    desc["distinct_texts"] = len(distinct)
    desc_path.write_text(json.dumps(desc, indent=1))
    return desc


def embed_texts(todo: list[str], workers: int) -> None:
    """Embed ``todo`` with use-m in ``workers`` single-threaded processes, in resumable shards."""
    import numpy as np

    work = VECTORS / "shards"
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("*"):
        old.unlink()
    shards = [todo[i:i + SHARD] for i in range(0, len(todo), SHARD)]
    for i, shard in enumerate(shards):
        (work / f"{i:05d}.json").write_text(json.dumps(shard, ensure_ascii=False), encoding="utf-8")
    t = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", "embed", "--part", f"{w}/{workers}"],
                              env=C.thread_env(1), cwd=C.ROOT) for w in range(workers)]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise RuntimeError(f"embedding workers failed: {codes}")
    seconds = time.perf_counter() - t
    cache = VectorCache()
    texts = list(cache.texts)
    parts = [np.asarray(cache.vectors)] if len(texts) else []
    for i, shard in enumerate(shards):
        texts += shard
        parts.append(np.load(work / f"{i:05d}.npy"))
    vectors = np.concatenate(parts).astype(np.float32)
    VECTORS.mkdir(parents=True, exist_ok=True)
    np.save(VECTORS / "vectors.tmp.npy", vectors)
    (VECTORS / "texts.tmp.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    (VECTORS / "vectors.tmp.npy").replace(VECTORS / "vectors.npy")
    (VECTORS / "texts.tmp.json").replace(VECTORS / "texts.json")
    shutil.rmtree(work)
    info_path = VECTORS / "embedding.json"
    info = json.loads(info_path.read_text()) if info_path.exists() else {"runs": []}
    info["runs"].append({"texts": len(todo), "seconds": seconds, "workers": workers,
                         "chars": sum(map(len, todo)), "when": time.strftime("%Y-%m-%d %H:%M")})
    info_path.write_text(json.dumps(info, indent=1))
    log(f"embedded {len(todo):,} texts in {seconds:.0f} s with {workers} worker(s) ({len(todo) / seconds:.0f} texts/s)")


def worker_embed(part: str) -> None:
    import numpy as np

    from index.embedders import load_embedder

    w, n = (int(x) for x in part.split("/"))
    embedder = load_embedder("use-m", 1)
    work = VECTORS / "shards"
    files = sorted(work.glob("*.json"))
    for i, path in enumerate(files):
        if i % n != w:
            continue
        out = path.with_suffix(".npy")
        if out.exists():
            continue
        texts = json.loads(path.read_text(encoding="utf-8"))
        t = time.perf_counter()
        vectors = embedder.embed_passages(texts)
        np.save(out.with_suffix(".tmp.npy"), vectors)
        out.with_suffix(".tmp.npy").replace(out)
        done = len(list(work.glob("*.npy")))
        print(f"  worker {w}: shard {i} ({len(texts)} texts, {len(texts) / (time.perf_counter() - t):.0f}/s); "
              f"{done}/{len(files)} shards done", flush=True)


def queries() -> tuple[list, "object", list[list[str]]]:  # type: ignore[no-untyped-def]
    """Gold questions, their use-m vectors (as the searcher embeds them) and their tokens; cached."""
    import numpy as np

    from index.text import fold, tokenize
    from retriever.evaluation import load_gold

    gold = load_gold()
    key = _code_key("eval/gold.jsonl", "index/text.py")
    path = CACHE / f"queries-{key}.pkl"
    if path.exists():
        vectors, tokens = pickle.loads(path.read_bytes())
    else:
        from index.embedders import load_embedder

        embedder = load_embedder("use-m", 1)
        vectors = np.vstack([embedder.embed_queries([fold(g.question)]) for g in gold]).astype(np.float32)
        tokens = [tokenize(g.question) for g in gold]
        for old in CACHE.glob("queries-*.pkl"):  # keyed by code version: older ones are dead
            old.unlink()
        path.write_bytes(pickle.dumps((vectors, tokens)))
    return gold, vectors, tokens


def chunk_tokens(size: str, chunks: list[str]) -> list[list[str]]:
    """The project's jieba tokens of every chunk of the largest corpus (cached), cut to ``chunks``."""
    from index.text import tokenize

    key = _code_key("index/text.py", "index/chunks.py", "index/corpus.py", "bench/_corpus.py")
    path = CACHE / f"tokens-{key}.pkl"
    if path.exists():
        cached = pickle.loads(path.read_bytes())
        if cached["texts_head"] == chunks[: len(cached["texts_head"])] and len(cached["tokens"]) >= len(chunks):
            return cached["tokens"][: len(chunks)]
    tokens = [tokenize(c) for c in chunks]
    if size == max(SIZES, key=lambda k: SIZES[k]) or not path.exists():
        for old in CACHE.glob("tokens-*.pkl"):
            old.unlink()
        path.write_bytes(pickle.dumps({"texts_head": chunks[:50], "tokens": tokens}))
    return tokens


# ----------------------------------------------------------------------------- index layer (worker)


def _timed_search(index, Q, reps: int, k: int = K):  # type: ignore[no-untyped-def]
    import numpy as np

    ids_all = np.empty((len(Q), k), dtype=np.int64)
    times = []
    for r in range(reps + 1):
        for i in range(len(Q)):
            t = time.perf_counter()
            _, ids = index.search(Q[i:i + 1], k)
            dt = time.perf_counter() - t
            if r:  # the first pass is the warm-up
                times.append(dt)
            ids_all[i] = ids[0]
    return times, ids_all


def _recall(approx, exact, k: int) -> float:  # type: ignore[no-untyped-def]
    """Share of the exact top-k ids that the approximate top-k returns."""
    total = 0.0
    for a, e in zip(approx, exact):
        total += len(set(a[:k].tolist()) & set(e[:k].tolist())) / k
    return total / len(exact)


def _recall_ties(approx, exact, X, Q, k: int) -> float:  # type: ignore[no-untyped-def]
    """Like :func:`_recall`, but an id counts when its true similarity is at least the exact k-th
    best (less 1e-6): with near-duplicate chunks, equally good neighbours are not misses."""
    total = 0.0
    for i, (a, e) in enumerate(zip(approx, exact)):
        kth = float(X[e[k - 1]] @ Q[i])
        ids = a[:k][a[:k] >= 0]
        total += int(((X[ids] @ Q[i]) >= kth - 1e-6).sum()) / k
    return total / len(exact)


def worker_layer(size: str, reps: int, rank_queries: int) -> None:
    import faiss
    import numpy as np

    from index.lexical import LexicalIndex

    faiss.omp_set_num_threads(THREADS)
    out: dict = {"rows": [], "bm25": [], "write": {}}
    chunks, sentences, _ = corpus_texts(size)
    cache = VectorCache()
    X = cache.lookup(chunks)
    S = cache.lookup(sentences)
    del cache
    gold, Q, qtokens = queries()
    tokens = chunk_tokens(size, chunks)
    n, d = X.shape
    out["n"], out["sentences"] = n, len(sentences)
    mem0 = C.mem_mb()["VmRSS"]

    # flat
    t = time.perf_counter()
    flat = faiss.IndexFlatIP(d)
    flat.add(X)
    build = time.perf_counter() - t
    times, exact = _timed_search(flat, Q, reps)
    s = C.summary_ms(times)
    out["rows"].append({"index": "IndexFlatIP", "param": "exact", "build_s": build, "p50": s["p50"], "p95": s["p95"],
                        "r10": 1.0, "r50": 1.0, "r10t": 1.0, "bytes": _faiss_bytes(flat)})

    # HNSW
    t = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EFC
    hnsw.add(X)
    build = time.perf_counter() - t
    size_b = _faiss_bytes(hnsw)
    for ef in EF_SEARCH:
        hnsw.hnsw.efSearch = ef
        times, ids = _timed_search(hnsw, Q, reps)
        s = C.summary_ms(times)
        out["rows"].append({"index": f"IndexHNSWFlat M={HNSW_M}", "param": f"efSearch={ef}", "build_s": build, "p50": s["p50"],
                            "p95": s["p95"], "r10": _recall(ids, exact, 10), "r50": _recall(ids, exact, 50),
                            "r10t": _recall_ties(ids, exact, X, Q, 10), "bytes": size_b})
    del hnsw

    # IVF
    nlist = max(8, min(int(round(2 * math.sqrt(n))), n // 39))
    t = time.perf_counter()
    quantizer = faiss.IndexFlatIP(d)
    ivf = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(X)
    ivf.add(X)
    build = time.perf_counter() - t
    size_b = _faiss_bytes(ivf)
    for nprobe in NPROBE:
        if nprobe > nlist:
            continue
        ivf.nprobe = nprobe
        times, ids = _timed_search(ivf, Q, reps)
        s = C.summary_ms(times)
        out["rows"].append({"index": f"IndexIVFFlat nlist={nlist}", "param": f"nprobe={nprobe}", "build_s": build,
                            "p50": s["p50"], "p95": s["p95"], "r10": _recall(ids, exact, 10), "r50": _recall(ids, exact, 50),
                            "r10t": _recall_ties(ids, exact, X, Q, 10), "bytes": size_b})
    del ivf, quantizer

    # BM25: bm25s through the project's LexicalIndex, and rank_bm25
    t = time.perf_counter()
    lexical = LexicalIndex.build(tokens)
    bm25s_build = time.perf_counter() - t
    score_t, full_t = [], []
    for r in range(reps + 1):
        for qt in qtokens:
            t = time.perf_counter()
            scores = lexical.scores(qt)
            t1 = time.perf_counter()
            np.argsort(-scores, kind="stable")[:K]
            t2 = time.perf_counter()
            if r:
                score_t.append(t1 - t)
                full_t.append(t2 - t)
    part_t = []
    for qt in qtokens:
        scores = lexical.scores(qt)
        t = time.perf_counter()
        top = np.argpartition(-scores, min(K, len(scores) - 1))[:K]
        top[np.argsort(-scores[top], kind="stable")]
        part_t.append(time.perf_counter() - t)
    out["bm25"].append({"impl": "bm25s (LexicalIndex)", "build_s": bm25s_build, "scores": C.summary_ms(score_t),
                        "top50": C.summary_ms(full_t), "argsort_ms": C.summary_ms([b - a for a, b in zip(score_t, full_t)])["p50"],
                        "argpartition_ms": C.summary_ms(part_t)["p50"], "queries": len(score_t)})
    from rank_bm25 import BM25Okapi

    t = time.perf_counter()
    okapi = BM25Okapi([list(tk) or ["\x00"] for tk in tokens])
    rank_build = time.perf_counter() - t
    rank_t = []
    for qt in qtokens[:rank_queries]:
        t = time.perf_counter()
        scores = okapi.get_scores(qt)
        np.argsort(-scores)[:K]
        rank_t.append(time.perf_counter() - t)
    out["bm25"].append({"impl": "rank_bm25.BM25Okapi", "build_s": rank_build, "top50": C.summary_ms(rank_t),
                        "queries": len(rank_t)})
    del okapi

    # write the layer as the project does
    target = CACHE / f"layer-{size}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    t = time.perf_counter()
    faiss.write_index(flat, str(target / "dense.faiss"))
    w_faiss = time.perf_counter() - t
    t = time.perf_counter()
    np.save(target / "sentences.npy", S, allow_pickle=False)
    w_sent = time.perf_counter() - t
    t = time.perf_counter()
    lexical.save(target)
    w_bm25 = time.perf_counter() - t
    hnsw = faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)  # for the load test only
    hnsw.hnsw.efConstruction = HNSW_EFC
    if n <= 20_000:
        hnsw.add(X)
        faiss.write_index(hnsw, str(target / "dense-hnsw.faiss"))
    out["write"] = {"dense.faiss": [w_faiss, (target / "dense.faiss").stat().st_size],
                    "sentences.npy": [w_sent, (target / "sentences.npy").stat().st_size],
                    "bm25/ + idf.json": [w_bm25, sum(p.stat().st_size for p in (target / "bm25").rglob("*") if p.is_file())
                                         + (target / "idf.json").stat().st_size]}
    out["mem"] = C.mem_mb()
    out["mem_before_indexes"] = mem0
    C.emit(out)


def _faiss_bytes(index) -> int:  # type: ignore[no-untyped-def]
    import faiss

    return int(faiss.serialize_index(index).nbytes)


def worker_layer_load(size: str) -> None:
    """RSS of a fresh process after loading the index layer written by worker_layer."""
    import faiss
    import numpy as np

    from index.lexical import LexicalIndex

    target = CACHE / f"layer-{size}"
    base = C.mem_mb()["VmRSS"]
    t = time.perf_counter()
    flat = faiss.read_index(str(target / "dense.faiss"))
    S = np.load(target / "sentences.npy")
    lexical = LexicalIndex.load(target)
    seconds = time.perf_counter() - t
    after = C.mem_mb()
    C.emit({"base": base, "after": after["VmRSS"], "hwm": after["VmHWM"], "seconds": seconds,
            "ntotal": flat.ntotal, "sentences": int(S.shape[0]), "chunks": lexical.n_chunks})


# ----------------------------------------------------------------------------- the project (workers)


def worker_project_build(size: str) -> None:
    from index.config import Settings
    from index.store import build_index

    cache = VectorCache()
    embedder = CachedUseEmbedder(cache)
    directory = CACHE / f"index-{size}"
    shutil.rmtree(directory, ignore_errors=True)
    mem0 = C.mem_mb()["VmRSS"]
    t = time.perf_counter()
    index, _ = build_index(Settings(corpus_dir=CACHE / f"corpus-{size}", index_dir=directory, threads=THREADS),
                           embedder=embedder, progress=False)
    wall = time.perf_counter() - t
    timings = dict(index.manifest.get("timings", {}))
    timings["write"] = wall - sum(timings.values())
    gen = directory / (directory / "CURRENT").read_text().strip()
    files = {}
    for p in gen.rglob("*"):
        if p.is_file():
            key = "bm25/" if p.parent.name == "bm25" else p.name
            files[key] = files.get(key, 0) + p.stat().st_size
    C.emit({"wall": wall, "timings": timings, "counts": index.manifest["counts"], "misses": embedder.misses,
            "lookup_s": embedder.lookup_seconds, "files": files, "mem": C.mem_mb(), "mem_before": mem0})


def worker_project_query(size: str, reps: int, ask_budget: float) -> None:
    from index.config import Settings
    from index.embedders import load_embedder
    from index.store import load_index, read_manifest, stale_reasons
    from retriever import FactChecker
    from retriever.evaluation import load_gold

    directory = CACHE / f"index-{size}"
    base = C.mem_mb()["VmRSS"]
    t = time.perf_counter()
    stale = stale_reasons(read_manifest(directory))
    fresh_s = time.perf_counter() - t
    t = time.perf_counter()
    index = load_index(directory)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    embedder = load_embedder("use-m", THREADS)
    embedder.embed_queries(["预热"])
    model_s = time.perf_counter() - t
    t = time.perf_counter()
    fc = FactChecker(index, embedder, Settings(index_dir=directory, threads=THREADS))
    init_s = time.perf_counter() - t
    mem_load = C.mem_mb()
    gold = load_gold()
    t = time.perf_counter()
    fc.ask(gold[0].question)  # the first question after loading (lazy state is built here)
    first_ask_s = time.perf_counter() - t
    for g in gold:  # warm-up
        fc.search(g.question)
    search_t, ask_t = [], []
    for _ in range(reps):
        for g in gold:
            t = time.perf_counter()
            fc.search(g.question)
            search_t.append(time.perf_counter() - t)
    fc.ask(gold[0].question)
    deadline = time.perf_counter() + ask_budget
    verdicts: dict[str, int] = {}
    for r in range(reps):
        for g in gold:
            t = time.perf_counter()
            a = fc.ask(g.question)
            ask_t.append(time.perf_counter() - t)
            if r == 0:
                verdicts[a.verdict] = verdicts.get(a.verdict, 0) + 1
            if time.perf_counter() > deadline:
                break
        if time.perf_counter() > deadline:
            break
    # where a search's time goes at this size
    s = fc.searcher
    parts = {"prepare (embed + tokenize)": 0.0, "FAISS search": 0.0, "BM25 scores": 0.0, "argsort of BM25 scores": 0.0}
    import numpy as np

    for g in gold:
        t = time.perf_counter()
        q = s.prepare(g.question)
        t1 = time.perf_counter()
        index.vectors.dense_top(q.vector, 50)
        t2 = time.perf_counter()
        sc = index.lexical.scores(q.tokens)
        t3 = time.perf_counter()
        np.argsort(-sc, kind="stable")[:50]
        t4 = time.perf_counter()
        parts["prepare (embed + tokenize)"] += t1 - t
        parts["FAISS search"] += t2 - t1
        parts["BM25 scores"] += t3 - t2
        parts["argsort of BM25 scores"] += t4 - t3
    parts = {k: 1000 * v / len(gold) for k, v in parts.items()}
    C.emit({"base": base, "fresh_s": fresh_s, "stale": stale, "load_s": load_s, "model_s": model_s, "init_s": init_s,
            "first_ask_s": first_ask_s,
            "mem_load": mem_load, "mem": C.mem_mb(), "search": C.summary_ms(search_t), "ask": C.summary_ms(ask_t),
            "verdicts": verdicts, "search_parts_ms": parts, "counts": index.manifest["counts"],
            "sentence_vectors": {"memmap": isinstance(index.sentence_vectors, np.memmap),
                                 "dtype": str(index.sentence_vectors.dtype)}})


def worker_project_memory(size: str, mmap: bool) -> None:
    """RSS after each part of a loaded project index, in the order FactChecker.load builds it
    (the same steps as index.store.load_index, done one at a time)."""
    steps: list[list] = []
    perf = time.perf_counter

    def step(name: str, t: float) -> None:
        steps.append([name, perf() - t, C.mem_mb()["VmRSS"]])

    steps.append(["python + bench harness", 0.0, C.mem_mb()["VmRSS"]])
    t = perf()
    import faiss
    import numpy as np

    from index.config import Settings
    from index.embedders import load_embedder
    from index.lexical import LexicalIndex
    from index.store import Index, read_manifest
    from retriever import FactChecker

    step("imports (retriever, index, faiss, numpy)", t)
    t = perf()
    embedder = load_embedder("use-m", THREADS)
    embedder.embed_queries(["预热"])
    step("use-m model (weights + tokenizer)", t)
    directory = CACHE / f"index-{size}"
    manifest = read_manifest(directory)
    gen = directory / (directory / "CURRENT").read_text().strip()
    t = perf()
    for rel in manifest["files"]:
        with open(gen / rel, "rb") as handle:
            digest = hashlib.sha256()
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    step("sha256 of every file (load_index verify=True)", t)

    from index.store import CENTROID_FILE
    from index.tables import CHUNKS_FILE, SENTENCES_FILE, ChunkTable, DocumentTable, SentenceTable, read_rows

    t = perf()
    documents = DocumentTable.read(gen)
    step(f"documents ({len(documents):,}: metadata, texts memory-mapped)", t)
    t = perf()
    chunks = ChunkTable(read_rows(gen / CHUNKS_FILE, 5), documents)
    sentences = SentenceTable(read_rows(gen / SENTENCES_FILE, 3), documents)
    step(f"chunk and sentence rows ({len(chunks):,} / {len(sentences):,}, memory-mapped)", t)
    t = perf()
    dense = faiss.read_index(str(gen / "dense.faiss"))
    step(f"dense.faiss (IndexFlatIP, {dense.ntotal:,} × {dense.d} float32)", t)
    t = perf()
    sentence_vectors = np.load(gen / "sentences.npy", allow_pickle=False, mmap_mode="r" if mmap else None)
    step(f"sentences.npy ({sentence_vectors.shape[0]:,} × {sentence_vectors.shape[1]} {sentence_vectors.dtype}"
         f"{', memory-mapped' if mmap else ''})", t)
    t = perf()
    lexical = LexicalIndex.load(gen)
    step("bm25s + idf", t)
    index = Index(directory, manifest, documents, chunks, sentences, dense, sentence_vectors, lexical,
                  np.load(gen / CENTROID_FILE))
    t = perf()
    fc = FactChecker(index, embedder, Settings(index_dir=directory, threads=THREADS))
    step("FactChecker() (searcher, archive)", t)
    hwm = C.mem_mb()["VmHWM"]
    from retriever.evaluation import load_gold

    t = perf()
    for g in load_gold()[:20]:
        fc.ask(g.question)
    step("20 asks", t)
    C.emit({"steps": steps, "hwm_after_load": hwm, "mem": C.mem_mb()})


def worker_profile_ask(size: str, seconds: float) -> None:
    """A loop of warm asks (what py-spy samples when the ask at this size is slow)."""
    from index.config import Settings
    from index.embedders import load_embedder
    from index.store import load_index
    from retriever import FactChecker
    from retriever.evaluation import load_gold

    directory = CACHE / f"index-{size}"
    fc = FactChecker(load_index(directory), load_embedder("use-m", THREADS), Settings(index_dir=directory, threads=THREADS))
    gold = load_gold()
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        for g in gold:
            fc.ask(g.question)
            n += 1
            if time.perf_counter() > end:
                break
    C.emit({"asks": n})


# ----------------------------------------------------------------------------- driver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k and 10k only, 1 repetition")
    parser.add_argument("--sizes", default=None, help="comma-separated among 1k,10k,100k (default all; quick 1k,10k)")
    parser.add_argument("--reps", type=int, default=None, help="timed passes over the gold questions (default 3; quick 1)")
    parser.add_argument("--workers", type=int, default=2, help="embedding processes for the one-off preparation")
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--no-project", action="store_true", help="skip the project build/search/ask part")
    parser.add_argument("--no-profile", action="store_true", help="do not run py-spy when a target is missed")
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--part", help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--rank-queries", type=int, default=173, help=argparse.SUPPRESS)
    parser.add_argument("--ask-budget", type=float, default=120, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=30, help=argparse.SUPPRESS)
    parser.add_argument("--mmap", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    reps = args.reps or (1 if args.quick else 3)
    if args.worker == "embed":
        return worker_embed(args.part)
    if args.worker == "layer":
        return worker_layer(args.size, reps, args.rank_queries)
    if args.worker == "layer-load":
        return worker_layer_load(args.size)
    if args.worker == "project-build":
        return worker_project_build(args.size)
    if args.worker == "project-query":
        return worker_project_query(args.size, reps, args.ask_budget)
    if args.worker == "project-memory":
        return worker_project_memory(args.size, args.mmap)
    if args.worker == "profile-ask":
        return worker_profile_ask(args.size, args.seconds)

    labels = (args.sizes.split(",") if args.sizes else (["1k", "10k"] if args.quick else list(SIZES)))
    sizes = {k: SIZES[k] for k in labels}
    report = C.Report("scale", "Scaling to 1k / 10k / 100k chunks")
    t = time.perf_counter()
    desc = prepare(sizes, args.workers)
    prep_s = time.perf_counter() - t
    if args.prepare_only:
        return
    import faiss  # noqa: F401
    import numpy  # noqa: F401

    report.conditions.update(C.machine_info(THREADS))
    report.condition("corpora", "generated from seeds/ by bench/_corpus.py: " + "; ".join(
        f"{k}: {v['documents']:,} articles, {v['chunks']:,} chunks" for k, v in desc["sizes"].items())
        + f"; {desc['duplicate_chunks']:,} chunk texts repeat an earlier one (largest corpus)")
    emb = json.loads((VECTORS / "embedding.json").read_text()) if (VECTORS / "embedding.json").exists() else {"runs": []}
    done = sum(r["texts"] for r in emb["runs"])
    secs = sum(r["seconds"] for r in emb["runs"])
    report.condition("embeddings", f"real use-m vectors of {desc.get('distinct_texts', 0):,} distinct chunk/sentence texts, "
                     f"computed once ({done:,} texts in {secs:.0f} s, {emb['runs'][0]['workers'] if emb['runs'] else '?'} "
                     f"single-threaded processes) and cached in bench/.cache/scale/vectors; preparation this run: {prep_s:.0f} s")
    report.condition("search settings", f"single query at a time, k={K} (the project's candidate depth), 1 warm-up pass + "
                     f"{reps} timed passes over the 173 gold questions; FAISS omp threads = {THREADS}")
    me = str(Path(__file__).resolve())

    layer, loads, builds, queries_, mem_steps = {}, {}, {}, {}, {}
    for label in labels:
        log(f"[{label}] index layer …")
        rq = 173 if SIZES[label] <= 10_000 else 60
        layer[label] = C.run_worker(Path(me), ["--worker", "layer", "--size", label, "--reps", str(reps),
                                               "--rank-queries", str(rq)], THREADS, timeout=3600)
        loads[label] = C.run_worker(Path(me), ["--worker", "layer-load", "--size", label], THREADS)
        if not args.no_project:
            log(f"[{label}] project build_index …")
            builds[label] = C.run_worker(Path(me), ["--worker", "project-build", "--size", label], THREADS, timeout=3600)
            log(f"[{label}] project load + search + ask …")
            queries_[label] = C.run_worker(Path(me), ["--worker", "project-query", "--size", label, "--reps",
                                                      str(reps if SIZES[label] < 100_000 else 1), "--ask-budget",
                                                      "120" if not args.quick else "30"], THREADS, timeout=3600)
            # the breakdown repeats load_index step by step; sentence vectors as the real load opened them
            mmap = ["--mmap"] if queries_[label]["sentence_vectors"]["memmap"] else []
            mem_steps[label] = C.run_worker(Path(me), ["--worker", "project-memory", "--size", label, *mmap], THREADS,
                                            timeout=3600)

    # --- FAISS
    rows = []
    for label in labels:
        for r in layer[label]["rows"]:
            rows.append([label, layer[label]["n"], r["index"], r["param"], r["build_s"], r["bytes"] / 1e6, r["p50"], r["p95"],
                         r["r10"], r["r10t"], r["r50"]])
    report.table(f"FAISS: build, size, single-query search (k={K}) and recall against the flat index",
                 ["size", "chunks", "index", "setting", "build (s)", "size (MB)", "p50 (ms)", "p95 (ms)", "recall@10",
                  "recall@10, ties counted", "recall@50"], rows,
                 note="ties counted: a returned chunk as similar as the exact 10th is not a miss (the corpora hold near-duplicate chunks)")

    # --- BM25
    rows = []
    for label in labels:
        b, r = layer[label]["bm25"]
        rows.append([label, layer[label]["n"], b["impl"], b["build_s"], b["scores"]["p50"], b["top50"]["p50"], b["top50"]["p95"],
                     b["queries"]])
        rows.append([label, layer[label]["n"], r["impl"], r["build_s"], "", r["top50"]["p50"], r["top50"]["p95"], r["queries"]])
    report.table("BM25: bm25s (the project's LexicalIndex) vs rank_bm25.BM25Okapi, same jieba tokens",
                 ["size", "chunks", "implementation", "index (s)", "scores p50 (ms)", "top-50 p50 (ms)", "top-50 p95 (ms)", "queries"],
                 rows, note="top-50 = all scores then np.argsort, as HybridSearcher does; rank_bm25 at 100k is timed on the first 60 questions")
    rows = [[label, layer[label]["bm25"][0]["argsort_ms"], layer[label]["bm25"][0]["argpartition_ms"]] for label in labels]
    report.table("Picking the BM25 top 50: full np.argsort (as now) vs np.argpartition + sort of 50 (ms, p50)",
                 ["size", "argsort", "argpartition"], rows)

    # --- layer write / size / RSS
    rows = []
    for label in labels:
        w = layer[label]["write"]
        ld = loads[label]
        rows.append([label, layer[label]["n"], layer[label]["sentences"], w["dense.faiss"][1] / 1e6, w["sentences.npy"][1] / 1e6,
                     w["bm25/ + idf.json"][1] / 1e6, sum(v[0] for v in w.values()), ld["seconds"], ld["after"] - ld["base"],
                     ld["after"]])
    report.table("Index layer written as the project writes it (flat FAISS + sentence vectors + bm25s), then loaded in a fresh process",
                 ["size", "chunks", "sentences", "dense.faiss (MB)", "sentences.npy (MB)", "bm25 (MB)", "write (s)", "load (s)",
                  "RSS added by load (MB)", "RSS after load (MB)"], rows)

    # --- project
    if builds:
        rows = []
        for label in labels:
            b = builds[label]
            tm = b["timings"]
            rows.append([label, b["counts"]["chunks"], b["counts"]["sentences"], tm.get("load"), tm.get("chunk"),
                         tm.get("embed"), tm.get("index"), tm.get("write"), b["wall"], sum(b["files"].values()) / 1e6,
                         b["mem"]["VmHWM"], b["misses"]])
        report.table("The project's build_index on each corpus (embedder returns cached use-m vectors), seconds",
                     ["size", "chunks", "sentences", "load", "chunk+tokens", "embed (lookup)", "index", "write",
                      "total", "index on disk (MB)", "peak RSS (MB)", "cache misses"], rows,
                     note="embed here is a cache lookup; with the real use-m add (chunks + sentences) / ~350 texts/s (see embedders.md)")
        rows = []
        for label in labels:
            files = builds[label]["files"]
            top = sorted(files.items(), key=lambda kv: -kv[1])[:6]
            rows.append([label] + [f"{k} {v / 1e6:.1f}" for k, v in top])
        report.table("The project's index on disk: largest files (MB)", ["size", "1st", "2nd", "3rd", "4th", "5th", "6th"], rows)
        rows = []
        for label in labels:
            q = queries_[label]
            rows.append([label, q["counts"]["chunks"], q["fresh_s"], q["load_s"], q["model_s"], q["init_s"], q["first_ask_s"],
                         q["mem_load"]["VmRSS"],
                         q["mem"]["VmRSS"], q["mem"].get("RssFile", float("nan")), q["mem"]["VmHWM"], q["search"]["p50"],
                         q["search"]["p95"], q["ask"]["p50"], q["ask"]["p95"], q["ask"]["max"], q["ask"]["n"]])
        report.table("The project at each size: load (fresh process), then FactChecker.search / .ask over the gold questions",
                     ["size", "chunks", "freshness check (s)", "load_index (s)", "use-m load (s)", "FactChecker() (s)",
                      "first ask (s)", "RSS after load (MB)", "RSS after the asks (MB)", "of which file-backed (MB)", "peak RSS (MB)",
                      "search p50 (ms)", "search p95", "ask p50 (ms)", "ask p95", "ask max", "asks timed"], rows,
                     note="file-backed = pages of memory-mapped files (sentences.npy, libraries): counted in RSS, but clean and "
                          "reclaimable under memory pressure")
        rows = []
        for label in labels:
            parts = queries_[label]["search_parts_ms"]
            rows.append([label] + [parts[k] for k in parts])
        report.table("Where a search's time goes (mean ms per question, measured separately)",
                     ["size"] + list(queries_[labels[0]]["search_parts_ms"]), rows)

    if mem_steps:
        names = [row[0].split(" (")[0] for row in mem_steps[labels[0]]["steps"]]
        rows = []
        for i, name in enumerate(names):
            row = [mem_steps[labels[-1]]["steps"][i][0] if i else name]
            for label in labels:
                st = mem_steps[label]["steps"]
                row.append(st[i][2] - (st[i - 1][2] if i else 0))
            row.append(mem_steps[labels[-1]]["steps"][i][1])
            rows.append(row)
        rows.append(["= RSS after load"] + [mem_steps[label]["steps"][-2][2] for label in labels] + [""])
        rows.append(["peak RSS during load (VmHWM)"] + [mem_steps[label]["hwm_after_load"] for label in labels] + [""])
        report.table("Where the RSS after load goes: MB added by each step of loading the project's index (fresh process)",
                     ["step (counts of the largest size)"] + [f"{label} (MB)" for label in labels] + [f"{labels[-1]} seconds"], rows,
                     note="the same steps as index.store.load_index + FactChecker(), one at a time; the last row of steps "
                          "(20 asks) is after the load")

    # --- recommendations
    rec = recommend(layer, labels)
    for line in rec:
        report.note(line)

    big = "100k" if "100k" in labels else labels[-1]
    if big == "100k":
        if queries_:
            q = queries_[big]
            report.target("100k: FactChecker.search p50", q["search"]["p50"], TARGET_P50_MS, "ms")
            report.target("100k: FactChecker.ask p50", q["ask"]["p50"], TARGET_P50_MS, "ms",
                          note="the target names search; ask shown against the same bound")
            report.target("100k: RSS after FactChecker load", q["mem_load"]["VmRSS"], TARGET_RSS_MB, "MB")
        flat = layer[big]["rows"][0]
        report.target("100k: FAISS IndexFlatIP search p50 (k=50)", flat["p50"], TARGET_P50_MS, "ms")
        report.target("100k: index layer RSS after load (fresh process)", loads[big]["after"], TARGET_RSS_MB, "MB")
    missed = [t for t in report.targets if not t["met"]]
    if missed and queries_ and not args.no_profile and C.pyspy_available():
        log("profiling the missed targets with py-spy …")
        out = C.pyspy_record([sys.executable, me, "--worker", "profile-ask", "--size", big, "--seconds", "40"],
                             C.CACHE_DIR / "profiles" / f"scale-{big}-ask.txt", rate=100, env=C.thread_env(THREADS))
        prof = C.collapsed_profile(out, top=60, keep=lambda st: any(k.startswith("FactChecker.ask") for k in st))
        inside = [r for r in prof["inclusive"] if not r["function"].startswith(("<module>", "main", "worker_", "FactChecker.ask"))]
        report.table(f"py-spy of warm FactChecker.ask at {big} ({prof['total_samples']} samples inside ask): top functions, "
                     "inclusive", ["function", "file:hot line", "share of ask"],
                     [[r["function"], r["where"], f"{100 * r['share']:.1f}%"] for r in inside[:18]])
        report.table(f"py-spy of warm FactChecker.ask at {big}: top functions, self time", ["function", "file:hot line", "share of ask"],
                     [[r["function"], r["where"], f"{100 * r['share']:.1f}%"] for r in prof["self"][:15]])
        report.note(f"raw py-spy samples: {out.relative_to(C.ROOT)}")
    report.finish()
    for label in labels:  # the index-layer files are only needed for the load test; the project's indexes stay
        shutil.rmtree(CACHE / f"layer-{label}", ignore_errors=True)


def recommend(layer: dict, labels: list[str]) -> list[str]:
    lines = []
    for label in labels:
        rows = layer[label]["rows"]
        flat = rows[0]
        good = [r for r in rows[1:] if r["r10t"] >= 0.99]
        best = min(good, key=lambda r: r["p50"]) if good else None
        if best:
            lines.append(f"{label}: flat p50 {flat['p50']:.2f} ms; the fastest approximate setting with recall@10 ≥ 0.99 "
                         f"(ties counted) is {best['index']} {best['param']} at {best['p50']:.2f} ms (recall@10 {best['r10']:.3f}, "
                         f"ties counted {best['r10t']:.3f}, recall@50 {best['r50']:.3f}; build {best['build_s']:.1f} s vs "
                         f"{flat['build_s']:.2f} s, {best['bytes'] / 1e6:.0f} MB vs {flat['bytes'] / 1e6:.0f} MB)")
        else:
            lines.append(f"{label}: no approximate setting reached recall@10 ≥ 0.99 (ties counted); flat p50 {flat['p50']:.2f} ms")
    for label in labels:
        b, r = layer[label]["bm25"]
        lines.append(f"{label}: bm25s top-50 p50 {b['top50']['p50']:.2f} ms vs rank_bm25 {r['top50']['p50']:.1f} ms "
                     f"({r['top50']['p50'] / b['top50']['p50']:.0f}× slower); indexing {b['build_s']:.2f} s (incl. the project's "
                     f"idf dict) vs {r['build_s']:.2f} s; of bm25s' top-50 time, np.argsort takes {b['argsort_ms']:.2f} ms, "
                     f"np.argpartition would take {b['argpartition_ms']:.2f} ms")
    return lines


if __name__ == "__main__":
    main()
