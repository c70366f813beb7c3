"""The baseline a user would otherwise write: LangChain's FAISS vector store over the same seeds and
the same use-m embedder, against ``FactChecker.search`` and ``FactChecker.ask``.

    python bench/langchain_baseline.py            # full run (≈ 2 min)
    python bench/langchain_baseline.py --quick    # 1 build run per side, 1 timed pass

Needs ``pip install langchain-community`` in the venv (it brings langchain-classic, whose
EnsembleRetriever is used for the hybrid baseline; rank_bm25 is already a dependency of ours).

* Build: each side in a fresh process with use-m loaded beforehand (its load is the same for both
  and reported once). The LangChain side reads the seed files, splits them with
  RecursiveCharacterTextSplitter (the same separators, 220/60, as the project) and calls
  ``FAISS.from_documents``; ours is ``index.store.build_index`` (chunks *and* sentences embedded,
  BM25, claims, files written and checksummed).
* Queries: one process, one use-m instance shared by all sides; a warm-up pass, then ``--reps``
  passes over the 173 gold questions, one call at a time (k=5):
  ``FAISS.similarity_search`` (dense only), an ``EnsembleRetriever`` of LangChain's BM25Retriever
  (jieba tokens) and the FAISS retriever (the hybrid a user would assemble), ``FactChecker.search``
  and ``FactChecker.ask``. The bare ``embed_query`` time is shown as the floor every side pays.

Target (issue): ≥ 2× faster queries than the LangChain baseline on the same embedder, or an
explanation of where the time goes.
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
import shutil  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)
TARGET_RATIO = 2.0


def _lc_embeddings(embedder):  # type: ignore[no-untyped-def]
    from langchain_core.embeddings import Embeddings

    class UseMEmbeddings(Embeddings):
        """The project's use-m embedder behind LangChain's Embeddings interface."""

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_passages(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_queries([text])[0].tolist()

    return UseMEmbeddings()


def _lc_documents():  # type: ignore[no-untyped-def]
    """Seed files → LangChain Documents, split as a user would with the same splitter settings."""
    import json

    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from index.chunks import SEPARATORS
    from index.config import SEEDS_DIR

    meta = json.loads((SEEDS_DIR / "sources.json").read_text(encoding="utf-8"))
    splitter = RecursiveCharacterTextSplitter(separators=list(SEPARATORS), keep_separator="end", chunk_size=220,
                                              chunk_overlap=60, strip_whitespace=True)
    docs = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.stem, **meta.get(p.stem, {})})
            for p in sorted(SEEDS_DIR.glob("*.txt"))]
    return splitter.split_documents(docs)


def worker_build(side: str, index_dir: Path) -> None:
    t = time.perf_counter()
    from index.embedders import load_embedder

    embedder = load_embedder("use-m", THREADS)
    embedder.embed_passages(["预热"])
    model = time.perf_counter() - t
    if side == "langchain":
        t = time.perf_counter()
        from langchain_community.vectorstores import FAISS

        imports = time.perf_counter() - t
        t = time.perf_counter()
        chunks = _lc_documents()
        split = time.perf_counter() - t
        t = time.perf_counter()
        store = FAISS.from_documents(chunks, _lc_embeddings(embedder))
        build = time.perf_counter() - t
        t = time.perf_counter()
        store.save_local(str(index_dir))
        save = time.perf_counter() - t
        C.emit({"model": model, "imports": imports, "split": split, "build": build, "save": save,
                "total": split + build + save, "chunks": len(chunks), "embedded": len(chunks), "mem": C.mem_mb()})
    else:
        from index.config import Settings
        from index.store import build_index

        t = time.perf_counter()
        index, _ = build_index(Settings(index_dir=index_dir, threads=THREADS), embedder=embedder, progress=False)
        total = time.perf_counter() - t
        c = index.manifest["counts"]
        C.emit({"model": model, "total": total, "timings": index.manifest.get("timings", {}), "chunks": c["chunks"],
                "embedded": c["chunks"] + c["sentences"], "mem": C.mem_mb()})


def worker_loop(side: str, seconds: float) -> None:
    """Warm queries in a loop (what py-spy samples): ours (FactChecker.search) or LangChain."""
    from index.config import Settings
    from retriever import FactChecker
    from retriever.evaluation import load_gold

    fc = FactChecker.load(index_dir=C.SEEDS_INDEX, settings=Settings(threads=THREADS), rebuild=False)
    gold = load_gold()
    if side == "langchain":
        from langchain_community.vectorstores import FAISS

        store = FAISS.from_documents(_lc_documents(), _lc_embeddings(fc.embedder))
        call = lambda q: store.similarity_search(q, k=5)  # noqa: E731
    else:
        call = lambda q: fc.search(q, k=5)  # noqa: E731
    for g in gold:
        call(g.question)
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        for g in gold:
            call(g.question)
            n += 1
    C.emit({"queries": n})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 build per side, 1 timed pass")
    parser.add_argument("--reps", type=int, default=None, help="timed passes over the gold questions (default 5; quick 1)")
    parser.add_argument("--builds", type=int, default=None, help="fresh-process builds per side (default 3; quick 1)")
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=("langchain", "ours", "loop-ours", "loop-langchain"), help=argparse.SUPPRESS)
    parser.add_argument("--no-profile", action="store_true", help="never profile with py-spy")
    parser.add_argument("--seconds", type=float, default=20, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker in ("loop-ours", "loop-langchain"):
        return worker_loop(args.worker[5:], args.seconds)
    if args.worker:
        return worker_build(args.worker, args.index)
    reps = args.reps or (1 if args.quick else 5)
    nbuild = args.builds or (1 if args.quick else 3)
    me = Path(__file__).resolve()

    report = C.Report("langchain_baseline", "LangChain FAISS baseline vs FactChecker (same seeds, same use-m)")
    status = C.ensure_seeds_index()
    import numpy as np
    import faiss  # noqa: F401

    report.conditions.update(C.machine_info(THREADS))
    from importlib.metadata import version

    report.condition("langchain", f"langchain-community {version('langchain-community')}, langchain-core {version('langchain-core')}, "
                     f"langchain-classic {version('langchain-classic')}, rank-bm25 {version('rank-bm25')}")

    # --- builds
    work = C.CACHE_DIR / "langchain"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    builds: dict[str, list[dict]] = {"langchain": [], "ours": []}
    for i in range(nbuild):
        for side in builds:
            print(f"build {i + 1}/{nbuild}: {side} …", flush=True)
            builds[side].append(C.run_worker(me, ["--worker", side, "--index", str(work / f"{side}-{i}")], THREADS))
    lc, ours = builds["langchain"], builds["ours"]
    med = C.median
    rows = [
        ["LangChain: split + FAISS.from_documents + save_local", lc[0]["chunks"], lc[0]["embedded"], med([b["total"] for b in lc]),
         med([b["mem"]["VmHWM"] for b in lc])],
        ["ours: build_index", ours[0]["chunks"], ours[0]["embedded"], med([b["total"] for b in ours]), med([b["mem"]["VmHWM"] for b in ours])],
    ]
    report.table(f"Build of seeds/ (fresh process each, median of {nbuild}; use-m loaded beforehand: "
                 f"{med([b['model'] for b in lc + ours]):.2f} s)", ["side", "chunks", "texts embedded", "build (s)", "peak RSS (MB)"], rows)
    tm = {k: med([b["timings"].get(k, float("nan")) for b in ours]) for k in ours[0]["timings"]}
    report.table("… where each build's time goes (s)", ["side", "part", "seconds"],
                 [["LangChain", "import langchain_community FAISS", med([b["imports"] for b in lc])],
                  ["LangChain", "read + split", med([b["split"] for b in lc])],
                  ["LangChain", "FAISS.from_documents (embed chunks + index)", med([b["build"] for b in lc])],
                  ["LangChain", "save_local", med([b["save"] for b in lc])]]
                 + [["ours", k, v] for k, v in tm.items()])
    build_ratio = med([b["total"] for b in ours]) / med([b["total"] for b in lc])

    # --- queries
    print("queries …", flush=True)
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS

    from index.config import Settings
    from retriever import FactChecker
    from retriever.evaluation import answer_hit, load_gold

    fc = FactChecker.load(index_dir=C.SEEDS_INDEX, settings=Settings(threads=THREADS), rebuild=False)
    embedder = fc.embedder
    lc_emb = _lc_embeddings(embedder)
    chunks = _lc_documents()
    store = FAISS.from_documents(chunks, lc_emb)
    import jieba

    jieba.setLogLevel(60)
    bm25 = BM25Retriever.from_documents(chunks, preprocess_func=jieba.lcut, k=5)
    dense = store.as_retriever(search_kwargs={"k": 5})
    hybrid = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5])
    gold = load_gold()
    calls = {
        "use-m embed_query alone (floor)": lambda q: lc_emb.embed_query(q),
        "LangChain FAISS.similarity_search": lambda q: store.similarity_search(q, k=5),
        "LangChain EnsembleRetriever (BM25 + FAISS)": lambda q: hybrid.invoke(q),
        "ours FactChecker.search": lambda q: fc.search(q, k=5),
        "ours FactChecker.ask": lambda q: fc.ask(q, k=5),
    }
    for fn in calls.values():  # warm-up
        for g in gold:
            fn(g.question)
    times: dict[str, list[float]] = {k: [] for k in calls}
    perf = time.perf_counter
    order = list(calls.items())
    for r in range(reps):
        for i, g in enumerate(gold):
            shift = (i + r) % len(order)  # rotate which call goes first, so none always runs right after ask
            for name, fn in order[shift:] + order[:shift]:
                t = perf()
                fn(g.question)
                times[name].append(perf() - t)
    # quality at the same k, for context: a top-5 passage from a gold document holds an answer string
    answerable = [g for g in gold if g.answerable]

    class _P:  # adapter: answer_hit wants .doc_id and .text
        def __init__(self, doc_id: str, text: str) -> None:
            self.doc_id, self.text = doc_id, text

    hits = {
        "LangChain FAISS.similarity_search": sum(answer_hit(g, [_P(d.metadata["source"], d.page_content)
                                                              for d in store.similarity_search(g.question, k=5)]) for g in answerable),
        "LangChain EnsembleRetriever (BM25 + FAISS)": sum(answer_hit(g, [_P(d.metadata["source"], d.page_content)
                                                                       for d in hybrid.invoke(g.question)[:5]]) for g in answerable),
        "ours FactChecker.search": sum(answer_hit(g, fc.search(g.question, k=5)) for g in answerable),
    }
    base = C.summary_ms(times["LangChain FAISS.similarity_search"])
    base_h = C.summary_ms(times["LangChain EnsembleRetriever (BM25 + FAISS)"])
    rows = []
    for name, ts in times.items():
        s = C.summary_ms(ts)
        rows.append([name, s["n"], s["p50"], s["p95"], s["max"], base["p50"] / s["p50"], base_h["p50"] / s["p50"],
                     f"{hits[name] / len(answerable):.3f}" if name in hits else ""])
    report.table(f"Query latency (ms), warm, one call at a time ({reps} passes × {len(gold)} questions, k=5)",
                 ["call", "calls", "p50", "p95", "max", "LC FAISS p50 / this p50", "LC ensemble p50 / this p50",
                  "hit@5 (answerable)"], rows,
                 note="a ratio > 1 means this call is faster than that LangChain baseline")

    # --- where the time goes
    s = fc.searcher
    from index.text import fold, tokenize

    parts: dict[str, list[float]] = {k: [] for k in (
        "fold (OpenCC t2s) of the question", "use-m embed_queries", "tokenize (jieba) + coverage", "FAISS search (depth 50)",
        "BM25 scores (bm25s) + argsort", "dense rescoring (chunk + best sentence)", "fusion + Passage objects")}
    lc_parts: dict[str, list[float]] = {"embed_query (incl. list conversion)": [], "similarity_search_by_vector": []}
    for _ in range(reps):
        for g in gold:
            q = g.question
            t0 = perf(); f = fold(q); t1 = perf()
            vec = embedder.embed_queries([f])[0]; t2 = perf()
            tokens = tokenize(q); fc.index.lexical.coverage(tokens); t3 = perf()
            ids = fc.index.vectors.dense_top(vec, 50); t4 = perf()
            lex = fc.index.lexical.scores(tokens); np.argsort(-lex, kind="stable")[:50]; t5 = perf()
            pool = np.unique(np.concatenate([ids, np.argsort(-lex, kind="stable")[:50]]))
            t5b = perf(); s._dense_scores(vec, pool); t6 = perf()
            query = s.prepare(q)
            t7 = perf(); s.search(query, 5); t8 = perf()
            for name, v in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5b,
                                       max(0.0, (t8 - t7) - (t4 - t3) - (t5 - t4) - (t6 - t5b)))):
                parts[name].append(v)
            t0 = perf(); v = lc_emb.embed_query(q); t1 = perf()
            store.similarity_search_by_vector(v, k=5); t2 = perf()
            lc_parts["embed_query (incl. list conversion)"].append(t1 - t0)
            lc_parts["similarity_search_by_vector"].append(t2 - t1)
    ours_total = sum(C.median(v) for v in parts.values())
    lc_total = sum(C.median(v) for v in lc_parts.values())
    rows = [["ours (search)", k, 1000 * C.median(v), f"{100 * C.median(v) / ours_total:.0f}%"] for k, v in parts.items()]
    rows += [["LangChain (similarity_search)", k, 1000 * C.median(v), f"{100 * C.median(v) / lc_total:.0f}%"] for k, v in lc_parts.items()]
    report.table("Where a query's time goes (median ms of each part, measured separately)", ["side", "part", "ms", "share"], rows,
                 note="ours: the fusion row is search(prepared query) minus the three parts it contains, so rows add up only approximately")

    ours_p50 = C.summary_ms(times["ours FactChecker.search"])["p50"]
    report.target("LangChain FAISS.similarity_search p50 / ours FactChecker.search p50", base["p50"] / ours_p50, TARGET_RATIO, "×",
                  lower_is_better=False, note="≥ 2 means ours is at least twice as fast")
    report.target("LangChain EnsembleRetriever p50 / ours FactChecker.search p50", base_h["p50"] / ours_p50, TARGET_RATIO, "×",
                  lower_is_better=False, note="the like-for-like hybrid baseline")
    ask_p50 = C.summary_ms(times["ours FactChecker.ask"])["p50"]
    report.target("LangChain FAISS.similarity_search p50 / ours FactChecker.ask p50", base["p50"] / ask_p50, TARGET_RATIO, "×",
                  lower_is_better=False, note="ask also checks claims and composes a cited answer")
    if not all(t["met"] for t in report.targets) and not args.no_profile and C.pyspy_available():
        print("profiling with py-spy …", flush=True)
        for side in ("ours", "langchain"):
            out, _ = C.retry_if_stale(C.pyspy_record, [sys.executable, str(me), "--worker", f"loop-{side}", "--seconds", "20"],
                                      C.CACHE_DIR / "profiles" / f"langchain-loop-{side}.txt", rate=250, env=C.thread_env(THREADS))
            whole = C.collapsed_profile(out, top=1)
            skip = ("FactChecker.load", "VectorStore.from_documents", "FAISS.from_documents", "_lc_documents", "_find_and_load",
                    "USE._model", "USE._tokenizer", "Tokenizer.initialize")  # set-up and lazy loads, not queries
            in_loop = lambda st: (any(k.startswith("worker_loop") for k in st)  # noqa: E731
                                  and not any(k.startswith(skip) for k in st))
            prof = C.collapsed_profile(out, top=60, keep=in_loop)
            share = prof["total_samples"] / max(1, whole["total_samples"])
            label = "ours: FactChecker.search" if side == "ours" else "LangChain: similarity_search"
            generic = ("worker_loop", "<lambda>", "main", "<module>")
            report.table(f"py-spy, warm loop of {label} ({prof['total_samples']} samples in the timed loop, {100 * share:.0f}% "
                         "of the process): top functions, inclusive", ["function", "file:hot line", "share of loop"],
                         [[r["function"], r["where"], f"{100 * r['share']:.1f}%"] for r in prof["inclusive"]
                          if not r["function"].startswith(generic)][:16])
            report.table(f"py-spy, {label}: top functions, self time", ["function", "file:hot line", "share of loop"],
                         [[r["function"], r["where"], f"{100 * r['share']:.1f}%"] for r in prof["self"]][:12])
            report.note(f"raw py-spy samples: {out.relative_to(C.ROOT)}")
    report.condition("seeds index", f"bench/.cache/index-seeds ({status})")
    report.condition("build ratio", f"ours / LangChain build time = {build_ratio:.2f}× (ours embeds chunks and sentences)")
    report.finish()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
