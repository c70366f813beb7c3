"""Time and memory on hostile input: the cases of the hardening review (issue 10), each run as a
fresh ``factcheck`` (or Python) process, its wall time and peak RSS measured by the parent.

    python bench/hostile.py              # every case
    python bench/hostile.py --quick      # leave out the two cases that embed 200,000 lines

Prints a table and writes it to bench/results/hostile.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
FACTCHECK = [sys.executable, "-m", "retriever.cli"]
ARTICLE = "星河博物馆收藏文物三万件，馆长是赵敏。\n"


@dataclass
class Run:
    case: str
    seconds: float
    peak_mb: float
    exit_code: int
    note: str


def _measure(case: str, argv: list[str], note: str, timeout: float = 1800, **kw) -> Run:  # type: ignore[no-untyped-def]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", **kw.pop("env", {})}
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, **kw)
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except KeyboardInterrupt:
        proc.kill()
        raise
    seconds = time.perf_counter() - started
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    last = next((line for line in reversed(stderr.splitlines()) if line.strip()), "")
    if code != 0 and last:
        note = f"{note}; says: {last[:90]}"
    return Run(case, seconds, usage.ru_maxrss / 1024, code, note)


def _corpus(root: Path, name: str, files: dict[str, bytes | str]) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "museum.txt").write_text(ARTICLE, encoding="utf-8")
    for file, content in files.items():
        path = folder / file
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def _index(root: Path, corpus: Path) -> list[str]:
    return [*FACTCHECK, "index", "--corpus", str(corpus), "--index", str(root / f"index-{corpus.name}")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="leave out the cases that embed 200,000 lines")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="hostile-"))
    runs: list[Run] = []
    try:
        spaces = "营收" + " " * 1000 + "3亿元。"
        runs.append(_measure("claims of a sentence with 1,000 spaces", [sys.executable, "-c", (
            "from index.claims import sentence_claims; from index.values import parse_values;"
            f"t={spaces!r}; parse_values(t); sentence_claims('d', 0, 0, t, None)")],
            "was 23.8 s"))
        spaced = ("营收" + " " * 500 + "3亿元。\n") * 60  # ~30 KB of runs of spaces
        runs.append(_measure("index a 30 KB file of space runs", _index(root, _corpus(root, "spaces", {"s.txt": spaced})),
                             "was 57 s"))
        runs.append(_measure("index 'first half ' x 20,000 on one line",
                             _index(root, _corpus(root, "halves", {"h.txt": "first half " * 20_000})),
                             "quadratic before this change"))
        if not args.quick:
            runs.append(_measure("index a 400 KB file of 200k short lines",
                                 _index(root, _corpus(root, "lines", {"l.txt": "ab\n" * 200_000})),
                                 "was 87 s; embeds 200k sentences"))
        big = _corpus(root, "big", {})
        _measure("(build before growing a file)", _index(root, big), "")
        with open(big / "huge.txt", "wb") as handle:
            handle.truncate(2 * 2**30)  # sparse, 2 GiB of NUL bytes
        runs.append(_measure("freshness check with a 2 GiB file (info)",
                             [*FACTCHECK, "info", "--index", str(root / "index-big")], "was 2.1 GB RSS"))
        zero = _corpus(root, "zero", {})
        (zero / "sources.json").symlink_to("/dev/zero")
        runs.append(_measure("index: sources.json -> /dev/zero", _index(root, zero), "was 6.7 GB RSS"))
        fifo = _corpus(root, "fifo", {})
        os.mkfifo(fifo / "pipe.txt")
        runs.append(_measure("index: a FIFO named pipe.txt", _index(root, fifo), "hung before"))
        folder = _corpus(root, "dirmeta", {})
        (folder / "sources.json").mkdir()
        runs.append(_measure("index: a folder named sources.json", _index(root, folder), "traceback before"))
        runs.append(_measure("ask a 30M-character question (library)", [sys.executable, "-c", (
            "from retriever import FactChecker, QuestionError\n"
            f"fc = FactChecker.load(index_dir={str(root / 'index-big')!r})\n"
            "try:\n    fc.ask('智' * 30_000_000)\nexcept QuestionError as e:\n    print(e)")],
            "was 21.5 s, 570 MB"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    lines = ["| case | seconds | peak RSS (MB) | exit | note |", "|---|---:|---:|---:|---|"]
    lines += [f"| {r.case} | {r.seconds:.2f} | {r.peak_mb:.0f} | {r.exit_code} | {r.note} |" for r in runs]
    table = "\n".join(lines)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hostile.md").write_text(
        "# Hostile input: time and peak memory (bench/hostile.py)\n\n" + table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
