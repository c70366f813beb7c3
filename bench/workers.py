"""Parallel indexing: `factcheck index --workers 1` vs `--workers N` on a sample of a generated
corpus, against the embedder's own time on the same texts.

    python bench/workers.py                 # 25 % of bench/.cache/scale/corpus-10k (≈ 2,500 chunks)
    python bench/workers.py --share 0.1     # a smaller sample

Needs the generated corpora (`python bench/scale.py --prepare-only` makes them). Each build is a
fresh `factcheck index` process (interpreter, imports, model load included), 1 BLAS thread per
process. The embedder's own time is use-m embedding exactly the chunk and sentence texts the build
embeds, in one process with the model already loaded. Prints a table and writes
bench/results/workers.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = HERE / ".cache" / "scale" / "corpus-10k"


def _sample(share: float, into: Path) -> Path:
    files = sorted(p for p in CORPUS.iterdir() if p.suffix in (".txt", ".md"))
    keep = files[: max(1, int(len(files) * share))]
    into.mkdir(parents=True)
    for p in keep:
        shutil.copy(p, into / p.name)
    return into


def _build(corpus: Path, index: Path, workers: int) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "retriever.cli", "index", "--corpus", str(corpus), "--index", str(index),
                    "--workers", str(workers)], check=True, env=env, cwd=ROOT, capture_output=True)
    return time.perf_counter() - started


def _embedder_alone(corpus: Path) -> tuple[float, int]:
    from index.chunks import chunk_documents
    from index.corpus import load_corpus
    from index.embedders import load_embedder

    documents, _ = load_corpus(corpus)
    chunks, sentences = chunk_documents(documents, 220, 60)
    texts = [c.text for c in chunks] + [s.text for s in sentences]
    embedder = load_embedder("use-m", 1)
    embedder.embed_passages(texts[:32])  # warm
    started = time.perf_counter()
    for i in range(0, len(texts), 4096):
        embedder.embed_passages(texts[i:i + 4096])
    return time.perf_counter() - started, len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--share", type=float, default=0.25, help="share of corpus-10k's articles (default 0.25)")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)), help="N (default: cores)")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} is missing: run python bench/scale.py --prepare-only first")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    root = Path(tempfile.mkdtemp(prefix="workers-"))
    try:
        corpus = _sample(args.share, root / "corpus")
        alone, n_texts = _embedder_alone(corpus)
        one = _build(corpus, root / "index-1", 1)
        many = _build(corpus, root / "index-n", args.workers)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rows = [
        ("use-m alone on the same texts (model loaded, 1 process)", alone, 1.0),
        ("`factcheck index --workers 1` (whole command)", one, one / alone),
        (f"`factcheck index --workers {args.workers}` (whole command)", many, many / alone),
    ]
    lines = [f"{n_texts:,} texts (chunks + sentences) from {args.share:.0%} of corpus-10k; "
             f"speed-up of {args.workers} workers: {one / many:.2f}×", "",
             "| run | seconds | ratio to the embedder alone |", "|---|---:|---:|"]
    lines += [f"| {label} | {sec:.1f} | {ratio:.2f}× |" for label, sec, ratio in rows]
    table = "\n".join(lines)
    print(table)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "workers.md").write_text("# Parallel indexing (bench/workers.py)\n\n" + table + "\n",
                                                  encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
