"""Retrieval and answer metrics against the gold QA set in ``eval/``.

Metrics per question (answerable questions only for retrieval):

- ``R@1``, ``R@5``: a passage from a gold document is in the top 1 / top 5.
- ``MRR@10``: reciprocal rank of the first passage from a gold document.
- ``hit@5``: a top-5 passage from a gold document contains an answer string
  (compared on normalised text, so script and width do not matter).
- ``nf_acc``: the ``answered``/``not_found`` decision is right (all questions).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from index.config import PROJECT_ROOT
from index.text import normalise

if TYPE_CHECKING:
    from .factchecker import FactChecker
    from .search import Mode, Passage

GOLD_PATH = PROJECT_ROOT / "eval" / "gold.jsonl"
LANGS = ("zh-Hans", "zh-Hant", "en")


@dataclass(frozen=True)
class GoldQuestion:
    """One gold question: what it asks and what counts as finding the answer."""

    id: str
    lang: str
    question: str
    doc_ids: tuple[str, ...]
    answers: tuple[str, ...]
    verdict: str
    quantity: str = ""
    claims: tuple[dict[str, Any], ...] = ()
    note: str = ""

    @property
    def answerable(self) -> bool:
        return self.verdict != "not_found"


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The objects of a JSON-lines file, blank lines skipped."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_gold(path: Path = GOLD_PATH) -> list[GoldQuestion]:
    """Read the gold set (JSON lines)."""
    return [GoldQuestion(
        id=r["id"], lang=r["lang"], question=r["question"], doc_ids=tuple(r.get("doc_ids", ())),
        answers=tuple(r.get("answers", ())), verdict=r["verdict"], quantity=r.get("quantity", ""),
        claims=tuple(r.get("claims", ())), note=r.get("note", ""),
    ) for r in _jsonl(path)]


@dataclass
class QuestionResult:
    gold: GoldQuestion
    ranked_docs: list[str]
    hit_at_5: bool
    verdict: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def first_gold_rank(self) -> int | None:
        for rank, doc in enumerate(self.ranked_docs, start=1):
            if doc in self.gold.doc_ids:
                return rank
        return None


def answer_hit(gold: GoldQuestion, passages: Sequence["Passage"], k: int = 5) -> bool:
    """A top-``k`` passage from a gold document contains an answer string."""
    wanted = [normalise(a) for a in gold.answers]
    for p in passages[:k]:
        if p.doc_id in gold.doc_ids:
            text = normalise(p.text)
            if any(a and a in text for a in wanted):
                return True
    return False


def run_retrieval(fc: "FactChecker", gold: Iterable[GoldQuestion], mode: "Mode" = "hybrid") -> list[QuestionResult]:
    """Search every answerable gold question with ``mode`` and record ranks and hits."""
    results = []
    for g in gold:
        if not g.answerable:
            continue
        passages = fc.search(g.question, k=10, mode=mode)
        results.append(QuestionResult(g, [p.doc_id for p in passages], answer_hit(g, passages)))
    return results


def summarise(results: Sequence[QuestionResult]) -> dict[str, float]:
    """Mean R@1, R@5, MRR@10, hit@5 over ``results`` (and how many there were)."""
    n = len(results)
    if not n:
        return {"n": 0, "R@1": 0.0, "R@5": 0.0, "MRR@10": 0.0, "hit@5": 0.0}
    ranks = [r.first_gold_rank for r in results]
    return {
        "n": n,
        "R@1": sum(1 for x in ranks if x == 1) / n,
        "R@5": sum(1 for x in ranks if x is not None and x <= 5) / n,
        "MRR@10": sum(1 / x for x in ranks if x is not None and x <= 10) / n,
        "hit@5": sum(r.hit_at_5 for r in results) / n,
    }


def by_language(results: Sequence[QuestionResult]) -> dict[str, dict[str, float]]:
    """:func:`summarise` per language and ``all``."""
    table = {lang: summarise([r for r in results if r.gold.lang == lang]) for lang in LANGS}
    table["all"] = summarise(results)
    return table


def format_table(rows: dict[str, dict[str, float]], title: str, columns: Sequence[str]) -> str:
    """A plain text table: one row per key of ``rows``."""
    width = max(len(k) for k in rows) + 2
    widths = [max(9, len(c) + 2) for c in columns]
    lines = [title, "".ljust(width) + "".join(c.rjust(w) for c, w in zip(columns, widths))]
    for key, values in rows.items():
        cells = []
        for c, w in zip(columns, widths):
            v = values.get(c, "")
            cells.append((f"{v:.3f}" if isinstance(v, float) else str(v)).rjust(w))
        lines.append(key.ljust(width) + "".join(cells))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- verdict sets
# A verdict set is a corpus and questions with the verdict a careful reader gives: the seeds'
# gold set, the multi-topic set in eval/topics/, or ../shared/generality/.

TOPICS_DIR = PROJECT_ROOT / "eval" / "topics"


@dataclass(frozen=True)
class VerdictCase:
    """One question of a verdict set.

    ``accept`` are the verdicts counted as right (the expected one; for a question asking a name
    or a reason, ``quoted`` too: nothing was compared, and the answer says so). ``values`` are the
    values the sources state, as ``(doc_id, value)``; ``condition`` names the trap (``conflict``,
    ``rounding``, ``different_period``...).
    """

    id: str
    lang: str
    question: str
    expected: str
    condition: str
    accept: tuple[str, ...]
    values: tuple[tuple[str, str], ...] = ()
    cross_lingual: bool = False


def load_topics(path: Path = TOPICS_DIR / "questions.jsonl") -> list[VerdictCase]:
    """The multi-topic set: 45 short articles on 18 events in three languages, 130 questions."""
    cases = []
    for r in _jsonl(path):
        accept = (r["expected"], "quoted") if r["condition"] == "non_numeric" else (r["expected"],)
        cases.append(VerdictCase(r["id"], r["lang"], r["question"], r["expected"], r["condition"], accept,
                                 tuple((v["doc_id"], v["value"]) for v in r.get("values", ())),
                                 bool(r.get("cross_lingual"))))
    return cases


@dataclass
class CaseResult:
    case: VerdictCase
    verdict: str
    answer: Any
    citations_ok: int
    citations_with_value: int
    both_values: bool | None  # a detected conflict shows two of the sources' differing values


def run_cases(fc: "FactChecker", cases: Iterable[VerdictCase]) -> list[CaseResult]:
    """Ask every question; check every value citation and, for conflicts, that the values are shown."""
    out = []
    for case in cases:
        answer = fc.ask(case.question)
        ok = total = 0
        for c in answer.citations:
            doc = fc.index.documents[c.doc_id]
            if c.value:
                total += 1
                ok += (doc.text[c.start:c.end] == c.quote and doc.text[c.value_start:c.value_end] == c.value
                       and c.start <= c.value_start and c.value_end <= c.end)
        both = None
        verdict = answer.verdict.value
        if verdict == "conflict" and case.expected == "conflict" and answer.check is not None:
            shown = [normalise(v.value) for v in answer.check.values]
            stated = {normalise(v) for _, v in case.values}
            hits = {s for s in stated for v in shown if s == v or s in v or v in s}
            both = len(hits) >= 2
        out.append(CaseResult(case, verdict, answer, ok, total, both))
    return out


def case_metrics(results: Sequence[CaseResult]) -> dict[str, float]:
    """Accuracy, conflict precision/recall, false alarms, "agree" said on a conflict, values shown,
    citation precision."""
    n = len(results)
    said = [r for r in results if r.verdict == "conflict"]
    real = [r for r in results if r.case.expected == "conflict"]
    others = [r for r in results if r.case.expected != "conflict"]
    both = [r.both_values for r in results if r.both_values is not None]
    cited = sum(r.citations_with_value for r in results)
    return {
        "n": n,
        "accuracy": sum(r.verdict in r.case.accept for r in results) / n if n else 0.0,
        "conflict_P": sum(r.case.expected == "conflict" for r in said) / len(said) if said else 1.0,
        "conflict_R": sum(r.verdict == "conflict" for r in real) / len(real) if real else 1.0,
        "false_alarm": sum(r.verdict == "conflict" for r in others) / len(others) if others else 0.0,
        "agree_on_conflict": sum(r.verdict == "consistent" for r in real) / len(real) if real else 0.0,
        "both_values": sum(both) / len(both) if both else 1.0,
        "not_found_R": _share([r for r in results if r.case.expected == "not_found"], "not_found"),
        "cite_P": sum(r.citations_ok for r in results) / cited if cited else 1.0,
        "value_cites": cited,
    }


def _share(results: Sequence[CaseResult], verdict: str) -> float:
    return sum(r.verdict == verdict for r in results) / len(results) if results else 1.0


def metrics_by_language(results: Sequence[CaseResult]) -> dict[str, dict[str, float]]:
    table = {lang: case_metrics([r for r in results if r.case.lang == lang]) for lang in LANGS}
    table["all"] = case_metrics(results)
    return table


def asks_a_name(case: VerdictCase) -> bool:
    """Whether a question is read as a who/where question (answered by a name)."""
    from index.values import ValueKind

    from .check import read_question

    return read_question(case.question, None).kinds == (ValueKind.NAME,)


def name_metrics(results: Sequence[CaseResult]) -> dict[str, float]:
    """Who/where questions: how many were answered by comparing names (``compared``), the verdicts
    counted right (``accuracy``), and of the compared ones, those whose verdict is right
    (``compared_P``) and those whose every name shown is one a source states for the question
    (``names_P``)."""
    from index.values.names import name_key
    from index.values.types import same_name

    compared = [r for r in results if r.verdict in ("conflict", "consistent")]

    def names_right(r: CaseResult) -> bool:
        stated = [name_key(v) for _, v in r.case.values]
        return all(any(same_name(name_key(v.value), s) for s in stated) for v in r.answer.check.values)

    return {
        "n": len(results),
        "compared": len(compared) / len(results) if results else 0.0,
        "accuracy": sum(r.verdict in r.case.accept for r in results) / len(results) if results else 0.0,
        "compared_P": sum(r.verdict in r.case.accept for r in compared) / len(compared) if compared else 1.0,
        "names_P": sum(names_right(r) for r in compared) / len(compared) if compared else 1.0,
    }


_DIGIT = re.compile(r"[0-9０-９]")


def gold_cases(gold: Iterable[GoldQuestion]) -> list[VerdictCase]:
    """The seeds' gold set as verdict cases. A question answered by a name or a phrase, not a
    figure, also accepts ``quoted``: nothing was compared, and the answer says so."""
    cases = []
    for g in gold:
        words_only = not g.quantity and not any(_DIGIT.search(a) for a in g.answers)
        accept = (g.verdict, "quoted") if words_only and g.verdict != "not_found" else (g.verdict,)
        values = tuple((str(c.get("doc_id", "")), str(c.get("value", ""))) for c in g.claims)
        cases.append(VerdictCase(g.id, g.lang, g.question, g.verdict, "conflict" if g.verdict == "conflict" else "",
                                 accept, values))
    return cases


# ----------------------------------------------------------------------------- language pairs

PAIR_FAMILIES = ("zh→zh", "en→en", "en→zh", "zh→en")


@dataclass(frozen=True)
class PairQuestion:
    """A question of the multi-topic set with the sentences that answer it, for retrieval by
    question language × article language."""

    id: str
    lang: str
    question: str
    gold: tuple[tuple[str, str], ...]  # (doc_id, quote)

    @property
    def article_langs(self) -> frozenset[str]:
        return frozenset(_article_lang(doc_id) for doc_id, _ in self.gold)


def _article_lang(doc_id: str) -> str:
    return {"en": "en", "zhs": "zh-Hans", "zht": "zh-Hant"}.get(doc_id.split("-", 1)[0], "?")


def _family(lang: str) -> str:
    return "zh" if lang.startswith("zh") else "en"


def load_pair_questions(directory: Path = TOPICS_DIR) -> list[PairQuestion]:
    """The multi-topic questions (their value quotes as gold) and the cross-lingual ones
    (``crosslingual.jsonl``: asked in another language or script than the articles)."""
    out = []
    for name in ("questions.jsonl", "crosslingual.jsonl"):
        for r in _jsonl(directory / name):
            gold = r.get("gold") or r.get("values") or []
            if gold:
                out.append(PairQuestion(r["id"], r["lang"], r["question"],
                                        tuple((g["doc_id"], g["quote"]) for g in gold)))
    return out


def quote_hit(fc: "FactChecker", q: PairQuestion, passages: Sequence["Passage"], k: int) -> bool:
    """A top-``k`` passage overlaps a gold sentence of its document."""
    for p in passages[:k]:
        for doc_id, quote in q.gold:
            if p.doc_id != doc_id:
                continue
            at = fc.index.documents[doc_id].text.find(quote)
            if at >= 0 and p.start < at + len(quote) and at < p.end:
                return True
    return False


def run_pairs(fc: "FactChecker", questions: Iterable[PairQuestion], mode: "Mode" = "hybrid"
              ) -> dict[str, dict[str, float]]:
    """hit@5 and R@1 (a gold sentence in the top 5 / the top passage) per question language →
    article language (e.g. ``en→zh-Hant``), per family (``en→zh``: either Chinese script) and
    ``all``."""
    rows: dict[str, list[tuple[bool, bool]]] = {}
    for q in questions:
        passages = fc.search(q.question, k=5, mode=mode)
        hit = (quote_hit(fc, q, passages, 5), quote_hit(fc, q, passages, 1))
        keys = {f"{q.lang}→{a}" for a in q.article_langs} | \
            {f"{_family(q.lang)}→{_family(a)}" for a in q.article_langs} | {"all"}
        for key in keys:
            rows.setdefault(key, []).append(hit)
    return {key: {"n": len(v), "hit@5": sum(h for h, _ in v) / len(v), "R@1": sum(r for _, r in v) / len(v)}
            for key, v in sorted(rows.items())}
