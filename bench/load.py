"""Bounded load test of the chat: N concurrent gradio_client clients ask the gold questions.

    python bench/load.py                 # 16 clients for 60 s (the documented run)
    python bench/load.py --seconds 10    # shorter (what the test suite runs)

The server runs in its own process on a free 127.0.0.1 port (loopback only; its memory is
what is sampled) and is stopped at the end; every client stops at the deadline, so the run
ends by itself.
Prints a table and writes it to bench/results/load.md and load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_of(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def serve(port: int, index_dir: str | None) -> int:
    """The server process: the chat on 127.0.0.1:port until terminated."""
    from retriever import FactChecker
    from ui.app import launch

    launch(FactChecker.load(index_dir=index_dir), host="127.0.0.1", port=port, block=True)
    return 0


def start_server(port: int, index_dir: str | None):  # type: ignore[no-untyped-def]
    import subprocess

    cmd = [sys.executable, str(Path(__file__).resolve()), "--serve", str(port)]
    if index_dir:
        cmd += ["--index", index_dir]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the chat server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the chat server did not start within 120 s")


def run(seconds: float, clients: int, index_dir: str | None) -> dict:
    from gradio_client import Client

    from retriever.evaluation import load_gold

    questions = [g.question for g in load_gold()]
    port = free_port()
    server = start_server(port, index_dir)
    url = f"http://127.0.0.1:{port}/"
    # warm the server: a figure question, and a who question (the name tagger loads on the first)
    from retriever.evaluation import asks_a_name, gold_cases

    who = next((c.question for c in gold_cases(load_gold()) if asks_a_name(c)), questions[0])
    for warm in dict.fromkeys([questions[0], who]):
        Client(url, verbose=False).predict(question=warm, k=5, api_name="/ask")
    rss_start = rss_of(server.pid)
    samples: list[tuple[float, float]] = []
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    started = time.perf_counter()
    deadline = started + seconds

    def sampler() -> None:
        while not stop.is_set():
            samples.append((time.perf_counter() - started, rss_of(server.pid)))
            stop.wait(0.5)

    def client(n: int) -> None:
        try:
            c = Client(url, verbose=False)
        except Exception as exc:  # noqa: BLE001 - counted, not raised
            with lock:
                errors.append(f"connect: {exc}")
            return
        i = n
        while time.perf_counter() < deadline:
            q = questions[i % len(questions)]
            i += clients
            t = time.perf_counter()
            try:
                result = c.predict(question=q, k=5, api_name="/ask")
                if not isinstance(result, dict) or "verdict" not in result:
                    raise ValueError(f"unexpected answer {str(result)[:80]}")
            except Exception as exc:  # noqa: BLE001
                with lock:
                    errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
                continue
            with lock:
                latencies.append(time.perf_counter() - t)

    watcher = threading.Thread(target=sampler, daemon=True)
    watcher.start()
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - started
    stop.set()
    watcher.join(timeout=2)
    server.terminate()
    try:
        server.wait(timeout=10)
    except Exception:  # noqa: BLE001
        server.kill()

    # Memory trend after the first quarter (warm-up): least-squares slope in MB per minute.
    steady = [(t, m) for t, m in samples if t >= elapsed / 4]
    slope = 0.0
    if len(steady) >= 3:
        mt = statistics.fmean(t for t, _ in steady)
        mm = statistics.fmean(m for _, m in steady)
        den = sum((t - mt) ** 2 for t, _ in steady) or 1.0
        slope = sum((t - mt) * (m - mm) for t, m in steady) / den * 60
    return {
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python {platform.python_version()}",
        "target": url,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "throughput_rps": round(len(latencies) / elapsed, 2) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1) if latencies else float("nan"),
        "errors": len(errors),
        "error_samples": errors[:5],
        "rss_before_mb": round(rss_start, 1),
        "rss_after_mb": round(samples[-1][1] if samples else float("nan"), 1),
        "rss_max_mb": round(max((m for _, m in samples), default=float("nan")), 1),
        "rss_slope_mb_per_min_after_warmup": round(slope, 2),
    }


def table(r: dict) -> str:
    rows = [("machine", r["machine"]), ("target", r["target"]), ("clients", r["clients"]),
            ("duration (s)", r["seconds"]), ("requests", r["requests"]), ("throughput (req/s)", r["throughput_rps"]),
            ("latency p50 / p95 / max (ms)", f"{r['p50_ms']} / {r['p95_ms']} / {r['max_ms']}"),
            ("errors", r["errors"]),
            ("server RSS before / after / max (MB)", f"{r['rss_before_mb']} / {r['rss_after_mb']} / {r['rss_max_mb']}"),
            ("RSS trend after warm-up (MB/min)", r["rss_slope_mb_per_min_after_warmup"])]
    return "| load test | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long clients keep asking (default 60)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--index", default=None, help="index directory (default: the project's)")
    parser.add_argument("--json", default=None, help="also write the result to this JSON file")
    parser.add_argument("--results", default=str(RESULTS),
                        help="folder for the table and JSON (default bench/results; the test suite uses its own)")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve, args.index)
    if not 1 <= args.clients <= 64 or not 1 <= args.seconds <= 600:
        parser.error("--clients must be 1..64 and --seconds 1..600")
    result = run(args.seconds, args.clients, args.index)
    text = table(result)
    print(text)
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    name = "load" if args.seconds >= 60 else "load-short"
    (results / f"{name}.md").write_text(text + "\n", encoding="utf-8")
    (results / f"{name}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
