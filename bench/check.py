"""What the fact check costs: seeds build, warm ask, and reading values from sentences.

    python bench/check.py            # ≈ 30 s
    python bench/check.py --reps 5

* Build: ``build_index`` of seeds/ with the use-m model already loaded (median of ``--builds``),
  and its stages from the manifest.
* Ask: one process, the seeds index loaded once; a warm-up pass over every gold question
  (eval/gold.jsonl), then ``--reps`` timed passes; p50/p95/max per call (ms), and the share of a
  call spent reading values and choosing them (timing wrappers around ``sentence_claims`` and
  ``align``).
* Values: ``parse_values`` over every sentence of the seeds (sentences per second), Chinese and
  English apart, and the pathological inputs of tests/test_values.py (the slowest, in ms).

Prints a markdown table and writes it to bench/results/check.md.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

C.ensure_venv()
THREADS = C.argv_int("--threads", 1)
C.pin_threads(THREADS)
REPS = C.argv_int("--reps", 3)
BUILDS = C.argv_int("--builds", 3)


def main() -> None:
    import json

    from index import SEEDS_DIR, Settings, build_index
    from index.embedders import load_embedder
    from index.values import parse_values
    from retriever import FactChecker
    import retriever.factchecker as fc_module
    import retriever.archive as archive_module

    rows: list[tuple[str, str]] = []
    model = load_embedder("use-m", THREADS)
    with tempfile.TemporaryDirectory() as folder:
        times, manifest = [], {}
        for i in range(BUILDS):
            settings = Settings(corpus_dir=SEEDS_DIR, index_dir=Path(folder) / f"index-{i}")
            started = time.perf_counter()
            index, _ = build_index(settings, model, progress=False)
            times.append(time.perf_counter() - started)
            manifest = index.manifest
        rows.append(("seeds build (`build_index`, model loaded), median", f"{statistics.median(times):.2f} s"))
        rows.append(("  stages: load / chunk / embed / index", " / ".join(
            f"{manifest['timings'][k]:.2f}" for k in ("load", "chunk", "embed", "index")) + " s"))

        fc = FactChecker.load(index_dir=Path(folder) / "index-0", rebuild=False)
        questions = [json.loads(line)["question"] for line in open(C.ROOT / "eval" / "gold.jsonl", encoding="utf-8")]
        spent = {"claims": 0.0, "align": 0.0}

        def timed(name, fn):  # type: ignore[no-untyped-def]
            def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
                started = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    spent[name] += time.perf_counter() - started
            return wrapper

        for q in questions:
            fc.ask(q)
        archive_module.sentence_claims = timed("claims", archive_module.sentence_claims)
        fc_module.align = timed("align", fc_module.align)
        calls = []
        for _ in range(REPS):
            fc.archive._claims.clear()  # values are read again each pass, as a fresh process would
            for q in questions:
                started = time.perf_counter()
                fc.ask(q)
                calls.append((time.perf_counter() - started) * 1000)
        calls.sort()
        total = sum(calls) / 1000
        rows.append((f"warm `ask` over {len(questions)} gold questions × {REPS}: p50 / p95 / max",
                     f"{statistics.median(calls):.1f} / {calls[int(0.95 * len(calls))]:.1f} / {calls[-1]:.1f} ms"))
        rows.append(("  share reading values (claims of retrieved sentences)", f"{spent['claims'] / total:.0%}"))
        rows.append(("  share choosing each source's value (align, incl. claims)", f"{spent['align'] / total:.0%}"))

        for lang, pick in (("Chinese", True), ("English", False)):
            sentences = [s.text for s in fc.index.sentences if any("\u4e00" <= c <= "\u9fff" for c in s.text) == pick]
            if not sentences:
                continue
            started = time.perf_counter()
            found = sum(len(parse_values(s, "2026-01-08")) for s in sentences)
            elapsed = time.perf_counter() - started
            rows.append((f"`parse_values` on the seeds' {lang} sentences ({len(sentences)}, {found} values)",
                         f"{len(sentences) / elapsed:,.0f} sentences/s"))
    worst = 0.0
    for text in (" " * 20000, "1" * 20000, "万" * 20000, "1." * 10000, "1, " * 8000, "一九" * 10000, "1至" * 8000,
                 "1 to " * 8000, "3个" * 8000):
        started = time.perf_counter()
        parse_values(text)
        worst = max(worst, time.perf_counter() - started)
    rows.append(("slowest pathological 20,000-character text", f"{worst * 1000:.0f} ms"))

    table = ["| figure | measured |", "|---|---:|"] + [f"| {a} | {b} |" for a, b in rows]
    text = "\n".join(table)
    print(text)
    out = C.ROOT / "bench" / "results" / "check.md"
    out.write_text(f"# bench/check.py — {time.strftime('%Y-%m-%d')}, {THREADS} thread(s)\n\n{text}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
