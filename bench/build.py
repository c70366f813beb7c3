"""Index build of seeds/ with the default embedder (use-m): wall time and peak memory by stage.

    python bench/build.py            # 5 runs of each kind (≈ 2–3 min)
    python bench/build.py --quick    # 3 runs

Three kinds of fresh-process runs, each into a new directory under bench/.cache/:

* ``build_index`` — the library call, as ``FactChecker.load`` makes it when the index is missing,
  with the embedder loaded beforehand so that model load is reported on its own. Stages are the
  ones the build records in its manifest (``timings``: load / chunk / embed / index); ``write`` is
  the rest of the build's wall time (manifest, JSONL, FAISS, BM25, checksums, fsync, publish).
* ``stages`` — the same pipeline called stage by stage through the package's functions, to split
  the manifest's "chunk" stage into chunking, jieba start-up, tokenizing and (for scale) reading every sentence's values, which the check does at question time, and
  "embed" into chunks and sentences, with RSS after each stage.
* ``factcheck index`` — the whole command under ``/usr/bin/time -v`` (interpreter, imports, model
  load, build): what a user waits for.

Target (issue): seeds build ≤ 5 s.
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

TARGET_S = 5.0


# ----------------------------------------------------------------------------- workers (fresh processes)


def worker_build(index_dir: Path) -> None:
    t0 = time.perf_counter()
    from index.config import Settings
    from index.embedders import load_embedder
    from index.store import build_index
    import faiss  # noqa: F401  (imported by the build anyway; counted as import)

    imports = time.perf_counter() - t0
    t = time.perf_counter()
    embedder = load_embedder("use-m", THREADS)
    embedder.embed_passages(["预热"])  # USE-m loads its weights lazily, on the first call
    model = time.perf_counter() - t
    mem_model = C.mem_mb()
    t = time.perf_counter()
    index, _ = build_index(Settings(index_dir=index_dir, threads=THREADS), embedder=embedder, progress=False)
    wall = time.perf_counter() - t
    timings = dict(index.manifest.get("timings", {}))
    timings["write"] = wall - sum(timings.values())
    C.emit({"imports": imports, "model": model, "build": wall, "timings": timings, "rss_after_model": mem_model["VmRSS"],
            "mem": C.mem_mb(), "counts": index.manifest["counts"], "build_seconds": index.manifest.get("build_seconds")})


def worker_stages() -> None:
    out: dict[str, float] = {}
    rss: dict[str, float] = {}

    def mark(name: str, t: float) -> None:
        out[name] = time.perf_counter() - t
        rss[name] = C.mem_mb()["VmRSS"]

    t = time.perf_counter()
    import numpy as np
    from index.chunks import chunk_documents
    from index.config import SEEDS_DIR
    from index.corpus import load_corpus
    from index.embedders import load_embedder
    from index.lexical import LexicalIndex
    from index.claims import sentence_claims
    from index.text import _jieba, tokenize
    import faiss

    mark("imports", t)
    t = time.perf_counter()
    embedder = load_embedder("use-m", THREADS)
    embedder.embed_passages(["预热"])
    mark("model load", t)
    t = time.perf_counter()
    documents, _ = load_corpus(SEEDS_DIR)
    mark("load corpus", t)
    t = time.perf_counter()
    chunks, sentences = chunk_documents(documents, 220, 60)
    mark("chunk (splitter)", t)
    t = time.perf_counter()
    _jieba()
    mark("jieba start-up", t)
    t = time.perf_counter()
    tokens = [tokenize(c.text) for c in chunks]
    mark("tokenize chunks", t)
    t = time.perf_counter()
    dates = {d.doc_id: d.date for d in documents}
    claims = [sentence_claims(s.doc_id, s.sentence_id, s.start, s.text, dates.get(s.doc_id)) for s in sentences]
    mark("read values (query-time work, timed for scale)", t)
    t = time.perf_counter()
    cv = embedder.embed_passages([c.text for c in chunks])
    mark("embed chunks", t)
    t = time.perf_counter()
    sv = embedder.embed_passages([s.text for s in sentences])
    mark("embed sentences", t)
    t = time.perf_counter()
    faiss.omp_set_num_threads(THREADS)
    dense = faiss.IndexFlatIP(cv.shape[1])
    dense.add(np.ascontiguousarray(cv))
    mark("FAISS IndexFlatIP", t)
    t = time.perf_counter()
    LexicalIndex.build(tokens)
    mark("BM25 (bm25s) + idf", t)
    C.emit({"stages": out, "rss": rss, "mem": C.mem_mb(), "counts": [len(chunks), len(sentences), sum(len(c) for c in claims)],
            "chars": [sum(len(c.text) for c in chunks), sum(len(s.text) for s in sentences)], "sv": int(sv.shape[0])})


# ----------------------------------------------------------------------------- driver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=None, help="runs of each kind (default 5, --quick 3)")
    parser.add_argument("--quick", action="store_true", help="3 runs of each kind")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (default 1, the project's default)")
    parser.add_argument("--worker", choices=("build", "stages"), help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "build":
        return worker_build(args.index)
    if args.worker == "stages":
        return worker_stages()

    runs = args.runs or (3 if args.quick else 5)
    report = C.Report("build", "Index build of seeds/ (use-m)")
    import numpy  # noqa: F401  (for the versions in the conditions)
    import faiss  # noqa: F401

    report.conditions.update(C.machine_info(THREADS))
    report.condition("runs per kind", f"{runs} (median reported), each in a fresh process")
    work = C.CACHE_DIR / "build"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    me = Path(__file__).resolve()

    builds, stages, clis = [], [], []
    for i in range(runs):  # interleave the kinds so machine noise spreads over all of them
        print(f"run {i + 1}/{runs} …", flush=True)
        d = work / f"lib-{i}"
        builds.append(C.run_worker(me, ["--worker", "build", "--index", str(d), "--threads", str(THREADS)], THREADS))
        shutil.rmtree(d, ignore_errors=True)
        stages.append(C.run_worker(me, ["--worker", "stages", "--threads", str(THREADS)], THREADS))
        d = work / f"cli-{i}"
        res = C.time_v([str(C.FACTCHECK), "index", "--index", str(d), "--embedder", "use-m", "--threads", str(THREADS)],
                       env=C.thread_env(THREADS))
        if res["returncode"] != 0:
            raise RuntimeError(res["stderr"][-3000:])
        manifest_timings = {}
        import json

        cur = (d / "CURRENT").read_text().strip()
        manifest = json.loads((d / cur / "manifest.json").read_text(encoding="utf-8"))
        manifest_timings = manifest.get("timings", {})
        res["manifest"] = {"timings": manifest_timings, "build_seconds": manifest.get("build_seconds")}
        clis.append(res)
        shutil.rmtree(d, ignore_errors=True)

    counts = builds[0]["counts"]
    report.condition("corpus", f"seeds/: {counts['documents']} documents, {counts['chunks']} chunks, "
                               f"{counts['sentences']} sentences, {stages[0]['counts'][2]} values read at question time; "
                               f"{stages[0]['chars'][0]:,} chunk chars, {stages[0]['chars'][1]:,} sentence chars")
    med = C.median

    # --- table 1: build_index by manifest stage
    stage_names = ["load", "chunk", "embed", "index", "write"]
    build_wall = med([b["build"] for b in builds])
    rows = [["model load (use-m, before the build)", med([b["model"] for b in builds]), min(b["model"] for b in builds),
             max(b["model"] for b in builds), ""]]
    for s in stage_names:
        vals = [b["timings"].get(s, float("nan")) for b in builds]
        rows.append([s, med(vals), min(vals), max(vals), f"{100 * med(vals) / build_wall:.0f}%"])
    vals = [b["build"] for b in builds]
    rows.append(["**build_index total**", med(vals), min(vals), max(vals), "100%"])
    vals = [b["model"] + b["build"] for b in builds]
    rows.append(["model load + build_index", med(vals), min(vals), max(vals), ""])
    report.table("build_index(Settings(), embedder=preloaded) — seconds", ["stage", "median", "min", "max", "share of build"], rows,
                 note="chunk = split + jieba tokenize (incl. jieba start-up); write = manifest, JSONL, "
                      "FAISS, BM25, sha256 of every file, fsync, publish")

    # --- table 2: finer stages
    keys = list(stages[0]["stages"].keys())
    total = sum(med([s["stages"][k] for s in stages]) for k in keys)
    rows = []
    for k in keys:
        vals = [s["stages"][k] for s in stages]
        rows.append([k, med(vals), min(vals), max(vals), f"{100 * med(vals) / total:.0f}%",
                     med([s["rss"][k] for s in stages])])
    rows.append(["total (no write)", total, "", "", "100%", med([s["mem"]["VmHWM"] for s in stages])])
    report.table("The same pipeline stage by stage (fresh process, package functions) — seconds",
                 ["stage", "median", "min", "max", "share", "RSS after (MB)"], rows,
                 note="last row's RSS column is the peak (VmHWM)")

    # --- table 3: whole command
    vals = [c["wall_s"] for c in clis]
    rss = [c.get("max_rss_mb", float("nan")) for c in clis]
    cpu = [c.get("user_s", 0) + c.get("sys_s", 0) for c in clis]
    inner = [c["manifest"]["build_seconds"] for c in clis]
    emb = [c["manifest"]["timings"].get("embed", float("nan")) for c in clis]
    rows = [["`factcheck index` wall (s)", med(vals), min(vals), max(vals)],
            ["  of which the build recorded in its manifest (s)", med(inner), min(inner), max(inner)],
            ["  of which embed stage incl. model load (s)", med(emb), min(emb), max(emb)],
            ["  rest: interpreter, imports, write, exit (s)", med([v - b for v, b in zip(vals, inner)]), "", ""],
            ["CPU time user+sys (s)", med(cpu), min(cpu), max(cpu)],
            ["peak RSS (MB, /usr/bin/time -v)", med(rss), min(rss), max(rss)]]
    report.table("`factcheck index --index DIR` as a fresh command (/usr/bin/time -v)", ["figure", "median", "min", "max"], rows)

    # --- memory
    rows = [["library build: RSS after model load", med([b["rss_after_model"] for b in builds])],
            ["library build: RSS after build", med([b["mem"]["VmRSS"] for b in builds])],
            ["library build: peak RSS (VmHWM)", med([b["mem"]["VmHWM"] for b in builds])],
            ["worker process peak RSS (/usr/bin/time)", med([b["_process"]["max_rss_mb"] for b in builds])],
            ["`factcheck index` peak RSS (/usr/bin/time)", med(rss)]]
    report.table("Peak memory (MB)", ["figure", "median"], rows)

    report.target("build_index wall, model preloaded (median)", build_wall, TARGET_S, "s")
    report.target("model load + build_index (median)", med([b["model"] + b["build"] for b in builds]), TARGET_S, "s")
    report.target("`factcheck index` whole command (median)", med(vals), TARGET_S, "s",
                  note="includes interpreter start, imports and model load")
    report.finish()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
