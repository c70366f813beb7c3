"""Flat vs HNSW (and IVF) for the project's dense search, by size: recall@10 against the exact
flat index and single-query latency at the search depth (k=50), over the 173 gold questions.

    python bench/ann.py                 # 100k real use-m vectors, then 1M (100k real + 900k synthetic)
    python bench/ann.py --sizes 100k

Inputs come from bench/scale.py's cache (bench/.cache/scale: the generated 100k-chunk corpus's
use-m vectors and the gold questions' vectors; run `python bench/scale.py --prepare-only` first).
The 1M set is the 100k real chunk vectors plus 900k synthetic ones (bench/_synthetic.py): its
recall and latency are labelled synthetic. One BLAS/OpenMP thread for search; the HNSW build
uses --build-threads (default 2).
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
import time  # noqa: E402

import numpy as np  # noqa: E402

K = 50
M = 32
EF_CONSTRUCTION = (40, 100)
EF_SEARCH = (64, 128, 256, 512, 1024, 2048)
IVF_NPROBE = (32, 64, 128, 256)


def chunk_vectors_100k() -> np.ndarray:
    cache = scale.VectorCache()
    chunks, _, _ = scale.corpus_texts("100k")
    return cache.lookup(chunks)


def timed(index, Q: np.ndarray, k: int = K) -> tuple[np.ndarray, list[float]]:  # type: ignore[no-untyped-def]
    ids = np.empty((len(Q), k), dtype=np.int64)
    times = []
    for i, q in enumerate(Q):
        t = time.perf_counter()
        _, found = index.search(q[None, :], k)
        times.append(time.perf_counter() - t)
        ids[i] = found[0]
    return ids, times


def recall(approx: np.ndarray, exact: np.ndarray, k: int) -> float:
    return float(np.mean([len(set(a[:k]) & set(e[:k])) / k for a, e in zip(approx, exact)]))


def recall_ties(approx: np.ndarray, exact: np.ndarray, X, Q: np.ndarray, k: int) -> float:  # type: ignore[no-untyped-def]
    """Recall@k where a returned chunk as similar as the exact k-th is no miss (the generated corpora
    hold identical chunks, whose vectors tie)."""
    hits = []
    for a, e, q in zip(approx, exact, Q):
        kth = float((X(e[k - 1:k]) @ q)[0])
        scores = X(a[:k][a[:k] >= 0]) @ q
        hits.append(min(k, int((scores >= kth - 1e-6).sum())) / k)
    return float(np.mean(hits))


def main() -> None:
    import faiss

    from _synthetic import Synthesiser

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100k,1m")
    parser.add_argument("--build-threads", type=int, default=2)
    parser.add_argument("--ef-construction", default=None, help="comma-separated (default 40,100 at 100k, 40 at 1M)")
    parser.add_argument("--ef-search", default=None, help="comma-separated efSearch values")
    parser.add_argument("--no-ivf", action="store_true")
    parser.add_argument("--from-index", type=Path, default=None, metavar="DIR",
                        help="sweep efSearch on the HNSW dense index of a built project index instead")
    args = parser.parse_args()
    if args.from_index:
        return sweep_index(args.from_index, [int(x) for x in (args.ef_search or "1024,2048,4096,8192").split(",")])
    report = C.Report("ann", "Flat vs HNSW vs IVF by size (recall@10 against flat, k=50 latency)")
    _, Q, _ = scale.queries()
    Q = np.ascontiguousarray(Q, dtype=np.float32)
    real = chunk_vectors_100k()
    rows = []
    for label in args.sizes.split(","):
        if label == "100k":
            X, synthetic = real, False
        else:
            n = 1_000_000
            synth = Synthesiser(np.asarray(scale.VectorCache().vectors))
            extra = synth.for_keys(np.arange(n - len(real), dtype=np.uint64) * np.uint64(2654435761) + np.uint64(7))
            X, synthetic = np.vstack([real, extra]), True
            near = float(np.mean(np.max(extra[:2000] @ real.T, axis=1)))
            report.note(f"1M: {len(real):,} real use-m chunk vectors + {len(extra):,} synthetic; a synthetic "
                        f"vector's cosine to its nearest real one averages {near:.2f}")
            del extra
        X = np.ascontiguousarray(X, dtype=np.float32)
        tag = f"{label} (synthetic)" if synthetic else label
        faiss.omp_set_num_threads(1)
        flat = faiss.IndexFlatIP(X.shape[1])
        t = time.perf_counter()
        flat.add(X)
        build_flat = time.perf_counter() - t
        exact, times = timed(flat, Q)
        s = C.summary_ms(times)
        rows.append([tag, len(X), "flat", "exact", round(build_flat, 2), round(X.nbytes / 2**20), s["p50"], s["p95"], 1.0, 1.0])
        log_row(rows[-1])
        efcs = [int(x) for x in args.ef_construction.split(",")] if args.ef_construction else \
            (EF_CONSTRUCTION if label == "100k" else (40,))
        for efc in efcs:
            faiss.omp_set_num_threads(args.build_threads)
            hnsw = faiss.IndexHNSWFlat(X.shape[1], M, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = efc
            t = time.perf_counter()
            hnsw.add(X)
            build = time.perf_counter() - t
            faiss.omp_set_num_threads(1)
            size = len(faiss.serialize_index(hnsw)) / 2**20
            for ef in ([int(x) for x in args.ef_search.split(",")] if args.ef_search else EF_SEARCH):
                hnsw.hnsw.efSearch = ef
                got, times = timed(hnsw, Q)
                s = C.summary_ms(times)
                rows.append([tag, len(X), f"HNSW M={M} efC={efc} ({args.build_threads} build threads)", f"efSearch={ef}",
                             round(build, 1), round(size), s["p50"], s["p95"], recall(got, exact, 10), recall(got, exact, 50)])
                log_row(rows[-1])
            del hnsw
        if args.no_ivf:
            continue
        nlist = int(4 * np.sqrt(len(X)))
        faiss.omp_set_num_threads(args.build_threads)
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(X.shape[1]), X.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
        t = time.perf_counter()
        sample = X[np.random.default_rng(0).choice(len(X), min(len(X), 64 * nlist), replace=False)]
        ivf.train(sample)
        ivf.add(X)
        build = time.perf_counter() - t
        faiss.omp_set_num_threads(1)
        for nprobe in IVF_NPROBE:
            ivf.nprobe = nprobe
            got, times = timed(ivf, Q)
            s = C.summary_ms(times)
            rows.append([tag, len(X), f"IVF nlist={nlist} ({args.build_threads} build threads)", f"nprobe={nprobe}",
                         round(build, 1), round(X.nbytes / 2**20), s["p50"], s["p95"], recall(got, exact, 10),
                         recall(got, exact, 50)])
            log_row(rows[-1])
        del ivf, flat, X
    report.table("Dense search by size (173 gold questions, k=50, one search thread)",
                 ["size", "vectors", "index", "setting", "build (s)", "size (MB)", "p50 (ms)", "p95 (ms)", "recall@10",
                  "recall@50"], rows)
    report.finish()


def sweep_index(directory: Path, efs: list[int]) -> None:
    """efSearch against exact search on the chunk vectors of a project index built with HNSW."""
    import faiss

    gen = directory / (directory / "CURRENT").read_text().strip()
    hnsw = faiss.read_index(str(gen / "dense.faiss"))
    faiss.omp_set_num_threads(1)
    flat = faiss.IndexFlatIP(hnsw.d)
    for start in range(0, hnsw.ntotal, 65536):
        flat.add(np.ascontiguousarray(hnsw.reconstruct_n(start, min(65536, hnsw.ntotal - start))))
    _, Q, _ = scale.queries()
    Q = np.ascontiguousarray(Q, dtype=np.float32)
    exact, times = timed(flat, Q)
    s = C.summary_ms(times)
    rows = [[directory.parent.name, hnsw.ntotal, "flat", "exact", "", "", s["p50"], s["p95"], 1.0, 1.0, 1.0]]
    vectors = lambda ids: flat.reconstruct_batch(np.asarray(ids, dtype=np.int64))  # noqa: E731
    log_row(rows[-1])
    for ef in efs:
        hnsw.hnsw.efSearch = ef
        got, times = timed(hnsw, Q)
        s = C.summary_ms(times)
        rows.append([directory.parent.name, hnsw.ntotal, f"HNSW M={hnsw.hnsw.nb_neighbors(1)} "
                     f"efC={hnsw.hnsw.efConstruction}", f"efSearch={ef}", "", "", s["p50"], s["p95"],
                     recall(got, exact, 10), recall_ties(got, exact, vectors, Q, 10), recall(got, exact, 50)])
        log_row(rows[-1])
    report = C.Report("ann-index", f"efSearch on the dense index of {directory}")
    report.table("efSearch sweep (173 gold questions, k=50, one thread)",
                 ["index", "vectors", "index type", "setting", "", "", "p50 (ms)", "p95 (ms)", "recall@10",
                  "recall@10, ties counted", "recall@50"], rows,
                 note="ties counted: a returned chunk as similar as the exact 10th is not a miss (identical chunks)")
    report.finish()


def log_row(row) -> None:  # type: ignore[no-untyped-def]
    print("  " + " | ".join(str(x) for x in row), flush=True)


if __name__ == "__main__":
    main()
