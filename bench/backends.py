"""The scale table: local flat, local HNSW and Milvus Lite side by side at 1k / 10k / 100k / 1M chunks.

    python bench/backends.py                         # 1k, 10k, 100k; every backend
    python bench/backends.py --sizes 1m --variants local-hnsw,local-flat
    python bench/backends.py --sizes 100k --variants milvus-lite

Per size and variant, each part in a fresh process (one BLAS/OpenMP thread):

* build: ``index.store.build_index`` on the generated corpus folder, with an embedder object that
  returns stored vectors instead of running use-m (use-m's own vectors, cached by bench/scale.py,
  for every text of the 1k-100k corpora; at 1M, texts it never embedded get synthetic vectors,
  bench/_synthetic.py). Wall time, the build's own timings, peak RSS (``/usr/bin/time``), size on disk
  (the index folder, plus the Milvus Lite database).
* query: ``load_index`` time, RSS once a FactChecker is ready (Milvus Lite runs inside the process,
  so its memory is in this figure), the first ask, then ``search`` and ``ask`` p50/p95 over the 173
  gold questions (real use-m embedding of each question) after a warm-up pass.

Corpora: bench/.cache/scale/corpus-{1k,10k,100k} (bench/scale.py --prepare-only) and
bench/.cache/scale1m/corpus-1m (generated here by the same generator on first use). The 1M
``local-flat`` row reuses the 1M HNSW build's files with its dense index swapped for an exact one
(building 1M chunks twice costs half an hour of the shared machine); its build figures are not
measured, and say so.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

C.ensure_venv()
import scale  # noqa: E402  (pins BLAS/OpenMP to one thread before numpy loads)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402

CACHE_1M = C.CACHE_DIR / "scale1m"
WORK = C.CACHE_DIR / "backends"
VARIANTS = ("local-flat", "local-hnsw", "milvus-lite")
SIZES = ("1k", "10k", "100k", "1m")
TARGETS_100K = {"load_s": 1.0, "rss_mb": 600.0, "first_ask_s": 0.5, "search_p50": 20.0, "ask_p50": 40.0}
TARGETS_1M = {"build_peak_mb": 4096.0, "rss_mb": 4096.0, "ask_p50": 100.0, "ask_p95": 250.0}


def corpus_dir(size: str) -> Path:
    if size == "1m":
        folder = CACHE_1M / "corpus-1m"
        if not (CACHE_1M / "corpus.json").is_file():  # written last: a folder without it is unfinished
            import _corpus

            _corpus.generate(CACHE_1M, {"1m": 1_000_000}, log=print)
        return folder
    return scale.CACHE / f"corpus-{size}"


def settings_for(size: str, variant: str):  # type: ignore[no-untyped-def]
    from index.config import Settings

    directory = WORK / f"{size}-{variant}"
    kind = {"local-flat": "flat", "local-hnsw": "hnsw", "milvus-lite": "flat"}[variant]
    if variant == "milvus-lite" and size == "1m":
        kind = "hnsw"
    return Settings(corpus_dir=corpus_dir(size), index_dir=directory / "index", dense_index=kind,
                    backend="milvus" if variant == "milvus-lite" else "local",
                    milvus_uri=str(directory / "milvus.db"))


class StoredVectors:
    """An embedder for build_index that returns use-m's cached vectors, or synthetic ones for the
    texts use-m never embedded here (counted)."""

    name = "use-m"
    dim = 512

    def __init__(self) -> None:
        import numpy as np

        from _synthetic import Synthesiser

        self.cache = scale.VectorCache()
        self.synth = Synthesiser(np.asarray(self.cache.vectors))
        self.real = self.synthetic = 0

    def embed_passages(self, texts, progress=None):  # type: ignore[no-untyped-def]
        import numpy as np

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        known = [i for i, t in enumerate(texts) if t in self.cache.row]
        other = [i for i, t in enumerate(texts) if t not in self.cache.row]
        if known:
            out[known] = self.cache.lookup([texts[i] for i in known])
        if other:
            out[other] = self.synth.for_texts([texts[i] for i in other])
        self.real += len(known)
        self.synthetic += len(other)
        if progress:
            progress(len(texts))
        return out


def disk_mb(settings) -> dict[str, float]:  # type: ignore[no-untyped-def]
    index = C.dir_size_mb(Path(settings.index_dir))
    db = Path(settings.milvus_uri)
    milvus = C.dir_size_mb(db) if settings.backend == "milvus" and db.exists() else 0.0
    return {"index_dir": index, "milvus": milvus, "total": index + milvus}


class PhasePeaks:
    """The build's resident memory by step: a thread reads VmRSS, RssAnon and RssFile every 0.1 s
    and keeps each figure's maximum under the step running then. The steps are the library's own
    functions, wrapped here in the harness (the library is not changed for it)."""

    STEPS = (("index.store", "_stream", "read, chunk, embed, stream vectors"),
             ("index.lexical", "LexicalIndex.from_ids", "BM25 weights"),
             ("index.store", "_LocalWriter.settle", "BM25 written, read back mapped"),
             ("index.store", "_write_tokens", "tokens.jsonl"),
             ("index.store", "_LocalWriter.finish", "dense index from the vector file"),
             ("index.store", "_write_generation", "write, checksum, publish"))

    def __init__(self) -> None:
        import importlib
        import threading

        self.step = "outside the steps (reading the corpus; after the build)"
        self.peaks: dict[str, dict[str, float]] = {}
        for module, path, label in self.STEPS:
            owner = importlib.import_module(module)
            *parents, name = path.split(".")
            for part in parents:
                owner = getattr(owner, part)
            if hasattr(owner, name):
                setattr(owner, name, self._wrapped(owner, name, label))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _wrapped(self, owner, name: str, label: str):  # type: ignore[no-untyped-def]
        raw = owner.__dict__[name]
        is_class_method = isinstance(raw, classmethod)
        function = raw.__func__ if is_class_method else raw

        def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
            outer, self.step = self.step, label
            try:
                return function(*args, **kwargs)
            finally:
                self._sample_once()
                self.step = outer

        return classmethod(wrapped) if is_class_method else wrapped

    def _sample_once(self) -> None:
        now = C.mem_mb()
        peak = self.peaks.setdefault(self.step, {})
        for key in ("VmRSS", "RssAnon", "RssFile"):
            peak[key] = max(peak.get(key, 0.0), now.get(key, 0.0))

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self._sample_once()

    def stop(self) -> dict[str, dict[str, float]]:
        self._stop.set()
        self._thread.join()
        return self.peaks


def worker_build(size: str, variant: str) -> None:
    from index.store import build_index

    settings = settings_for(size, variant)
    shutil.rmtree(Path(settings.index_dir).parent, ignore_errors=True)
    Path(settings.index_dir).parent.mkdir(parents=True)
    embedder = StoredVectors()
    before = C.mem_mb()
    peaks = PhasePeaks()
    t = time.perf_counter()
    index, _ = build_index(settings, embedder=embedder, progress=False)
    wall = time.perf_counter() - t
    C.emit({"wall": wall, "timings": index.manifest.get("timings", {}), "counts": index.manifest["counts"],
            "dense_index": index.manifest.get("dense_index"), "real": embedder.real,
            "synthetic": embedder.synthetic, "disk": disk_mb(settings), "mem_before": before, "mem": C.mem_mb(),
            "steps": peaks.stop()})


def worker_query(size: str, variant: str) -> None:
    from index.embedders import load_embedder
    from index.store import load_index
    from retriever import FactChecker
    from retriever.evaluation import load_gold

    settings = settings_for(size, variant)
    embedder = load_embedder("use-m", 1)
    embedder.embed_queries(["预热"])
    base = C.mem_mb()
    t = time.perf_counter()
    index = load_index(settings.index_dir)
    load_s = time.perf_counter() - t
    fc = FactChecker(index, embedder, settings)
    mem_load = C.mem_mb()
    gold = [g.question for g in load_gold()]
    t = time.perf_counter()
    fc.ask(gold[0])
    first_ask = time.perf_counter() - t
    for q in gold:
        fc.search(q)
    search_t, ask_t, verdicts = [], [], {}
    for q in gold:
        t = time.perf_counter()
        fc.search(q)
        search_t.append(time.perf_counter() - t)
    for q in gold:
        t = time.perf_counter()
        answer = fc.ask(q)
        ask_t.append(time.perf_counter() - t)
        verdicts[answer.verdict.value] = verdicts.get(answer.verdict.value, 0) + 1
    C.emit({"load_s": load_s, "first_ask_s": first_ask, "base": base, "mem_load": mem_load, "mem": C.mem_mb(),
            "search": C.summary_ms(search_t), "ask": C.summary_ms(ask_t), "verdicts": verdicts,
            "dense_index": index.manifest.get("dense_index"), "counts": index.manifest["counts"]})


def flat_from_hnsw(size: str) -> None:
    """The 1M flat variant: the HNSW build's generation with an exact dense index (same vectors)."""
    import hashlib

    import faiss
    import numpy as np

    source, target = settings_for(size, "local-hnsw"), settings_for(size, "local-flat")
    src, dst = Path(source.index_dir), Path(target.index_dir)
    shutil.rmtree(dst.parent, ignore_errors=True)
    gen = (src / "CURRENT").read_text().strip()
    (dst / gen).mkdir(parents=True)
    for path in (src / gen).rglob("*"):
        if path.is_file() and path.name not in ("dense.faiss", "manifest.json"):
            out = dst / gen / path.relative_to(src / gen)
            out.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, out)
    hnsw = faiss.read_index(str(src / gen / "dense.faiss"))
    flat = faiss.IndexFlatIP(hnsw.d)
    for start in range(0, hnsw.ntotal, 65536):
        flat.add(np.ascontiguousarray(hnsw.reconstruct_n(start, min(65536, hnsw.ntotal - start))))
    data = faiss.serialize_index(flat).tobytes()
    (dst / gen / "dense.faiss").write_bytes(data)
    manifest = json.loads((src / gen / "manifest.json").read_text(encoding="utf-8"))
    manifest["dense_index"] = {"kind": "flat"}
    manifest["files"]["dense.faiss"] = hashlib.sha256(data).hexdigest()
    (dst / gen / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    (dst / "CURRENT").write_text(gen + "\n")


def embed_rate(sample: int = 1500) -> dict[str, float]:
    """use-m's own throughput on a sample of the 1M corpus' chunk and sentence texts (one thread)."""
    from index.chunks import chunk_documents
    from index.corpus import load_corpus
    from index.embedders import load_embedder

    folder = corpus_dir("1m")
    files = sorted(folder.glob("gen_*.txt"))[-40:]  # late articles: texts use-m never embedded here
    tmp = WORK / "rate-corpus"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for f in files:
        shutil.copyfile(f, tmp / f.name)
    documents, _ = load_corpus(tmp)
    chunks, sentences = chunk_documents(documents, 220, 60)
    texts = ([c.text for c in chunks] + [s.text for s in sentences])[:sample]
    embedder = load_embedder("use-m", 1)
    embedder.embed_passages(texts[:32])
    t = time.perf_counter()
    embedder.embed_passages(texts)
    seconds = time.perf_counter() - t
    return {"texts": len(texts), "seconds": seconds, "texts_per_s": len(texts) / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1k,10k,100k")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--query-only", action="store_true",
                        help="time the queries again on the indexes built by an earlier run (keeps its build figures)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "build":
        return worker_build(args.size, args.variant)
    if args.worker == "query":
        return worker_query(args.size, args.variant)
    if args.worker == "rate":
        return C.emit(embed_rate())
    me = Path(__file__).resolve()
    results_path = WORK / "results.json"  # the raw figures (the report writes results/backends.json)
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for size in args.sizes.split(","):
        for variant in args.variants.split(","):
            key = f"{size}/{variant}"
            print(f"{key}: build …", flush=True)
            if args.query_only and key in results:
                build = results[key]["build"]
            elif size == "1m" and variant == "local-flat":
                flat_from_hnsw(size)
                build = {"derived": True}
            else:
                corpus_dir(size)  # generated here if missing, not in the build's process (its peak RSS)
                build = C.run_worker(me, ["--worker", "build", "--size", size, "--variant", variant], timeout=4 * 3600)
            print(f"{key}: query …", flush=True)
            query = C.run_worker(me, ["--worker", "query", "--size", size, "--variant", variant], timeout=3600)
            results[key] = {"build": build, "query": query, "when": time.strftime("%Y-%m-%d %H:%M")}
            results_path.parent.mkdir(parents=True, exist_ok=True)
            results_path.write_text(json.dumps(results, indent=1, default=float))
            print(f"  {summary(results[key])}", flush=True)
    if "1m" in args.sizes.split(",") and "rate" not in results:
        results["rate"] = C.run_worker(me, ["--worker", "rate"])
        results_path.write_text(json.dumps(results, indent=1, default=float))
    write_report(results)


def summary(row: dict) -> str:
    b, q = row["build"], row["query"]
    return (f"build {b.get('wall', float('nan')):.1f}s peak {b.get('_process', {}).get('max_rss_mb', float('nan')):.0f} MB; "
            f"load {q['load_s']:.2f}s rss {q['mem_load']['VmRSS']:.0f} MB; search p50 {q['search']['p50']:.1f} ms; "
            f"ask p50 {q['ask']['p50']:.1f} / p95 {q['ask']['p95']:.1f} ms" + steps_note(b, "\n    "))


def steps_note(build: dict, sep: str = "; ") -> str:
    """The build's peak RSS by step (anonymous + file-backed), as :class:`PhasePeaks` measured it."""
    steps = build.get("steps") or {}
    if not steps:
        return ""
    before = (build.get("mem_before") or {}).get("VmRSS", 0.0)
    parts = [f"{label}: {p['VmRSS']:,.0f} MB ({p['RssAnon']:,.0f} anonymous, {p['RssFile']:,.0f} file-backed)"
             for label, p in steps.items()]
    return sep + f"RSS before the build (the harness) {before:,.0f} MB; peak RSS by step: " + sep.join(parts)


def write_report(results: dict) -> None:
    report = C.Report("backends", "Scale: local flat, local HNSW and Milvus Lite by size")
    rows = []
    for size in SIZES:
        for variant in VARIANTS:
            row = results.get(f"{size}/{variant}")
            if not row:
                continue
            b, q = row["build"], row["query"]
            synthetic = size == "1m"
            mark = " (synthetic vectors)" if synthetic else ""
            derived = b.get("derived")
            rows.append([
                size + mark, variant, f"{q['counts']['chunks']:,}", (q.get("dense_index") or {}).get("kind", "flat"),
                "—" if derived else round(b["wall"], 1),
                "—" if derived else round(b["wall"] - b["timings"].get("embed", 0.0), 1),
                "—" if derived else round(b["_process"]["max_rss_mb"]),
                "—" if derived else round(b["disk"]["total"]),
                round(q["load_s"], 2), round(q["mem_load"]["VmRSS"]), round(q["first_ask_s"], 2),
                q["search"]["p50"], q["search"]["p95"], q["ask"]["p50"], q["ask"]["p95"],
            ])
    report.table("Build and query by size and backend (one thread; 173 gold questions)",
                 ["size", "backend", "chunks", "dense", "build (s)", "build without embedding (s)", "build peak RSS (MB)",
                  "on disk (MB)", "load (s)", "RSS after load (MB)", "first ask (s)", "search p50 (ms)",
                  "search p95 (ms)", "ask p50 (ms)", "ask p95 (ms)"], rows)
    for key, targets in (("100k/local-flat", TARGETS_100K),):
        row = results.get(key)
        if row:
            q = row["query"]
            report.target("100k local flat: load", q["load_s"], targets["load_s"], "s")
            report.target("100k local flat: RSS after load", q["mem_load"]["VmRSS"], targets["rss_mb"], "MB")
            report.target("100k local flat: first ask", q["first_ask_s"], targets["first_ask_s"], "s")
            report.target("100k local flat: search p50", q["search"]["p50"], targets["search_p50"], "ms")
            report.target("100k local flat: ask p50", q["ask"]["p50"], targets["ask_p50"], "ms")
    row = results.get("1m/local-hnsw")
    if row:
        b, q = row["build"], row["query"]
        report.target("1M local HNSW (synthetic vectors): build peak RSS", b["_process"]["max_rss_mb"],
                      TARGETS_1M["build_peak_mb"], "MB")
        report.target("1M local HNSW (synthetic vectors): RSS after load", q["mem_load"]["VmRSS"], TARGETS_1M["rss_mb"], "MB")
        report.target("1M local HNSW (synthetic vectors): ask p50", q["ask"]["p50"], TARGETS_1M["ask_p50"], "ms")
        report.target("1M local HNSW (synthetic vectors): ask p95", q["ask"]["p95"], TARGETS_1M["ask_p95"], "ms")
        rate = results.get("rate")
        if rate:
            texts = b["counts"]["chunks"] + b["counts"]["sentences"]
            rest = b["wall"] - b["timings"].get("embed", 0.0)
            one = texts / rate["texts_per_s"]
            report.note(f"1M build estimate with the real use-m: {texts:,} texts at {rate['texts_per_s']:.0f} texts/s "
                        f"(measured, one process) = {one / 3600:.1f} h of embedding, plus {rest / 60:.0f} min measured "
                        f"without it: ~{(one + rest) / 3600:.1f} h in one process; with --workers 2 on 2 cores "
                        f"(1.59× measured by bench/workers.py) ~{(one / 1.59 + rest) / 3600:.1f} h.")
        report.note(f"1M: {b['real']:,} texts got use-m's own vectors and {b['synthetic']:,} synthetic ones.")
        if b.get("steps"):
            report.note("1M local HNSW build, " + steps_note(b).removeprefix("; ") + ".")
    report.finish()


if __name__ == "__main__":
    main()
