"""The audit on ../shared/generality/: are the planted conflicts listed, with no question asked?

    python bench/audit_generality.py                # all three languages (indexes built once, ~1 min each)
    python bench/audit_generality.py --lang en

Each language's corpus (Wikipedia paragraphs, a second outlet's copy with the figure changed,
restated or kept, and distractor paragraphs) is indexed with ``FactChecker.load`` (under the
system temp folder, ``factcheck-generality/<lang>``, as the set's own ``score.py`` does) and
audited. A planted conflict is found when a disagreement puts the original value (outlet A) and
the changed one (outlet B) in two different values; a rounding or identical pair is a false alarm
when a disagreement splits them. Precision is the share of listed disagreements that are planted
conflicts (any other disagreement counts against it, though some may be real differences between
a paragraph and a distractor). This measures the alignment of values across sources on its own:
no question says what to compare. Nothing here is tuned to the set's items.

Prints a markdown table and writes it to bench/results/audit-generality.md.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

C.ensure_venv()
C.pin_threads(1)

GENERALITY = C.ROOT.parent / "shared" / "generality"
LANGS = ("zh-Hant", "zh-Hans", "en")


def main() -> None:
    from retriever import FactChecker
    from retriever.audit.evaluation import generality_gold, score_audit

    langs = sys.argv[sys.argv.index("--lang") + 1:] if "--lang" in sys.argv else list(LANGS)
    root = Path(tempfile.gettempdir()) / "factcheck-generality"
    rows, totals = [], {"conflicts": 0, "found": 0, "rows": 0, "on": 0, "others": 0, "alarms": 0}
    for lang in langs:
        fc = FactChecker.load(index_dir=root / lang, corpus_dir=GENERALITY / lang / "corpus")
        started = time.perf_counter()
        report = fc.audit()
        seconds = time.perf_counter() - started
        score = score_audit(report.to_dict(), generality_gold(GENERALITY / "questions.jsonl", lang))
        rows.append(f"| {lang} | {report.counts.documents} | {report.counts.statements:,} | {score.conflicts} "
                    f"| {len(score.found)} | {score.recall:.2f} | {score.rows} | {score.precision:.2f} "
                    f"| {len(score.false_alarms)}/{score.others} | {len(report.corroborated)} | {seconds:.1f} |")
        for key, value in (("conflicts", score.conflicts), ("found", len(score.found)), ("rows", score.rows),
                           ("on", score.rows_on_conflicts), ("others", score.others),
                           ("alarms", len(score.false_alarms))):
            totals[key] += value
        print(f"{lang}: missed {score.missed}", file=sys.stderr)
    if len(langs) > 1:
        t = totals
        rows.append(f"| all | | | {t['conflicts']} | {t['found']} | {t['found'] / max(1, t['conflicts']):.2f} "
                    f"| {t['rows']} | {t['on'] / max(1, t['rows']):.2f} | {t['alarms']}/{t['others']} | | |")
    head = ["| lang | documents | values read | planted conflicts | found | recall | disagreements listed "
            "| precision | false alarms (rounding + identical) | corroborated | audit (s) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    text = "\n".join(head + rows)
    print(text)
    out = C.ROOT / "bench" / "results" / "audit-generality.md"
    out.write_text(f"# bench/audit_generality.py — {time.strftime('%Y-%m-%d')}\n\n{text}\n\n"
                   f"{C.loadavg()}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
