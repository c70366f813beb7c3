"""What an audit costs on a large archive: 2.5k, 5k and 10k documents.

    python bench/audit.py                       # 2,500 / 5,000 / 10,000 documents (first run builds
                                                #   the three indexes: ~10 min on 2 cores; cached)
    python bench/audit.py --sizes 10000
    python bench/audit.py --quick               # 500 / 1,000 documents

The archive is made of real-looking text: the seeds, the multi-topic articles and the generality
set's paragraphs (~1,000 articles in Chinese of both scripts and English) are the *stories*; each
story is printed by ``EDITIONS`` outlets, and each outlet's copy changes some of its numbers
(×0.7 or ×1.3, the written precision kept) so that there are real disagreements to find, and
leaves the rest, so that there is agreement. A size takes its first stories in a seeded order, so
the smaller archives are parts of the larger. Each archive is indexed once with ``factcheck index
--workers 2`` under ``bench/.cache/audit/`` (rebuilt when its corpus changes).

Each audit runs in a fresh process under ``/usr/bin/time -v`` (one BLAS thread): the table gives
documents, values read, document pairs and blocks compared, statement pairs scored, facts compared,
disagreements and corroborated facts listed, the time reading values and finding facts, the whole
audit, the time per value, and the process' peak RSS (the loaded index included). Written to
bench/results/audit.md.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

C.ensure_venv()
C.pin_threads(1)

EDITIONS = 10
SEED = 20260114
CACHE = C.CACHE_DIR / "audit"
OUTLETS = [("北岸晨报", "北岸晨報", "Northbank Morning"), ("西河日报", "西河日報", "Westriver Daily"),
           ("东港时报", "東港時報", "Eastport Times"), ("南山观察", "南山觀察", "Southhill Observer"),
           ("海湾商报", "海灣商報", "Bayside Business"), ("中州新闻", "中州新聞", "Midland News"),
           ("云岭快讯", "雲嶺快訊", "Cloudridge Wire"), ("平原周刊", "平原週刊", "Plains Weekly"),
           ("江城晚报", "江城晚報", "Rivertown Evening"), ("高原导报", "高原導報", "Highland Courier")]
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d.])")


def stories() -> list[tuple[str, str, str, str]]:
    """(name, text, date, script) of every base article, in a seeded order."""
    out = []
    folders = [C.ROOT / "seeds", C.ROOT / "eval" / "topics" / "corpus"]
    folders += sorted((C.ROOT.parent / "shared" / "generality").glob("*/corpus"))
    for folder in folders:
        meta = json.loads((folder / "sources.json").read_text(encoding="utf-8")) if (folder / "sources.json").exists() else {}
        for path in sorted(folder.glob("*.txt")):
            info = meta.get(path.stem, {})
            out.append((f"{folder.parent.name}-{path.stem}", path.read_text(encoding="utf-8"),
                        str(info.get("date") or "2025-06-01")[:10], str(info.get("script") or "")))
    random.Random(SEED).shuffle(out)
    return out


def edition(text: str, rng: random.Random) -> str:
    """An outlet's copy: about one number in twelve changed by ×0.7 or ×1.3 at the written precision."""
    def change(m: re.Match[str]) -> str:
        if rng.random() >= 1 / 12:
            return m.group(0)
        written = m.group(1)
        decimals = len(written.split(".")[1]) if "." in written else 0
        value = float(written) * rng.choice((0.7, 1.3))
        shown = f"{value:.{decimals}f}"
        return shown if shown != written else f"{float(written) + 10 ** -decimals:.{decimals}f}"

    return _NUMBER.sub(change, text)


def write_corpus(folder: Path, count: int) -> None:
    """The archive of ``count`` documents (its first ``count // EDITIONS`` stories)."""
    import datetime as dt

    folder.mkdir(parents=True, exist_ok=True)
    sources = {}
    wanted = set()
    for name, text, date, script in stories()[:count // EDITIONS]:
        zh = any("\u4e00" <= c <= "\u9fff" for c in text)
        for e in range(EDITIONS):
            rng = random.Random(f"{SEED}:{name}:{e}")
            outlet = OUTLETS[e][1 if script == "Traditional" else 0] if zh else OUTLETS[e][2]
            doc = f"{name}-e{e}"
            body = f"{outlet}讯\n\n{edition(text, rng)}" if zh else f"By {outlet} staff\n\n{edition(text, rng)}"
            path = folder / f"{doc}.txt"
            if not path.exists() or path.read_text(encoding="utf-8") != body:
                path.write_text(body, encoding="utf-8")
            wanted.add(path.name)
            day = dt.date.fromisoformat(date) + dt.timedelta(days=e)
            sources[doc] = {"publisher": outlet, "date": day.isoformat(), **({"script": script} if script else {})}
    for path in folder.glob("*.txt"):
        if path.name not in wanted:
            path.unlink()
    (folder / "sources.json").write_text(json.dumps(sources, ensure_ascii=False, indent=0), encoding="utf-8")


def ensure_index(count: int) -> Path:
    from index.store import index_exists, read_manifest, stale_reasons

    corpus, index = CACHE / f"corpus-{count}", CACHE / f"index-{count}"
    write_corpus(corpus, count)
    if index_exists(index) and not stale_reasons(read_manifest(index), corpus):
        return index
    print(f"indexing {count:,} documents into {index} (once) …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    subprocess.run([str(C.ROOT / ".venv" / "bin" / "factcheck"), "index", "--corpus", str(corpus), "--index", str(index),
                    "--workers", "2"], check=True, env=C.thread_env(1), cwd=C.ROOT)
    print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return index


def worker(index_dir: str) -> None:
    from index.store import load_index
    from retriever.audit import audit_index

    index = load_index(Path(index_dir))
    loaded = C.mem_mb()
    report = audit_index(index)
    C.emit({"counts": report.counts.to_dict(), "disagreements": len(report.disagreements),
            "corroborated": len(report.corroborated), "rss_loaded_mb": loaded.get("VmRSS:", 0.0),
            "peak_mb": C.mem_mb().get("VmHWM:", 0.0)})


def main() -> None:
    if "--worker" in sys.argv:
        worker(sys.argv[sys.argv.index("--worker") + 1])
        return
    if "--quick" in sys.argv:
        sizes = [500, 1000]
    elif "--sizes" in sys.argv:
        sizes = [int(x) for x in sys.argv[sys.argv.index("--sizes") + 1].split(",")]
    else:
        sizes = [2500, 5000, 10000]
    rows = []
    for count in sizes:
        index = ensure_index(count)
        got = C.run_worker(Path(__file__), ["--worker", str(index)], threads=1, timeout=3600)
        c = got["counts"]
        rows.append(f"| {c['documents']:,} | {c['statements']:,} | {c['document_pairs']:,} | {c['blocks']:,} "
                    f"| {c['pairs']:,} | {c['facts_compared']:,} | {got['disagreements']:,} | {got['corroborated']:,} "
                    f"| {c['reading_seconds']:.1f} | {c['comparing_seconds']:.1f} | {c['seconds']:.1f} "
                    f"| {1e6 * c['seconds'] / max(1, c['statements']):.0f} | {got['_process'].get('max_rss_mb', 0):,.0f} |")
        print(rows[-1], file=sys.stderr, flush=True)
    head = ["| documents | values read | document pairs | blocks | statement pairs | facts compared | disagreements "
            "| corroborated | reading values (s) | finding facts (s) | audit (s) | µs per value | peak RSS (MB) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    text = "\n".join(head + rows)
    print(text)
    info = C.machine_info(1)
    out = C.RESULTS_DIR / "audit.md"
    out.write_text(f"# bench/audit.py — {time.strftime('%Y-%m-%d %H:%M')}\n\n"
                   f"{EDITIONS} outlets per story; one BLAS thread; CPU {info.get('cpu model', C.cpu_model())}, "
                   f"load {C.loadavg()}\n\n{text}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
