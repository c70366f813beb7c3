"""Scoring an audit against known facts: which planted conflicts it lists, and which facts it
wrongly lists as disagreements.

A gold fact names, per side, the documents and the values as they write them. A disagreement
*separates* two gold values when one source of one of its values states the first and a source of
another of its values states the second (same document, same number). A conflict is found when a
disagreement separates two of its sides; any other gold fact (rounding, hedge, other period or
measure, identical reports) is a false alarm when a disagreement separates two of its values
(but for two that are the two sides of a gold conflict).
Precision counts the disagreements that separate a gold conflict among all disagreements listed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from index.values import parse_values


@dataclass(frozen=True)
class GoldValue:
    """A value one document states, as it writes it, and its number."""

    doc_id: str
    text: str
    number: float | None

    @classmethod
    def of(cls, doc_id: str, text: str, article_date: str | None = None) -> "GoldValue":
        values = parse_values(text, article_date)
        return cls(doc_id, text, values[0].number if values else None)


@dataclass(frozen=True)
class GoldFact:
    """A fact of a gold set: ``conflict`` (its sides disagree) or another kind (no disagreement)."""

    name: str
    kind: str
    sides: tuple[tuple[GoldValue, ...], ...]
    group: str = ""  # a language or a section, for tables

    @property
    def conflict(self) -> bool:
        return self.kind == "conflict"


@dataclass
class AuditScore:
    """Recall over the gold conflicts, false alarms over the other gold facts, precision over rows."""

    conflicts: int = 0
    found: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    others: int = 0
    false_alarms: list[str] = field(default_factory=list)
    rows: int = 0
    rows_on_conflicts: int = 0

    @property
    def recall(self) -> float:
        return len(self.found) / self.conflicts if self.conflicts else 0.0

    @property
    def precision(self) -> float:
        return self.rows_on_conflicts / self.rows if self.rows else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return len(self.false_alarms) / self.others if self.others else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"conflicts": self.conflicts, "found": len(self.found), "recall": round(self.recall, 4),
                "rows": self.rows, "rows_on_conflicts": self.rows_on_conflicts, "precision": round(self.precision, 4),
                "others": self.others, "false_alarms": len(self.false_alarms),
                "false_alarm_rate": round(self.false_alarm_rate, 4), "missed": self.missed,
                "false_alarm_facts": self.false_alarms}


def _same_number(a: float | None, b: float) -> bool:
    if a is None:
        return False
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _holds(gold: GoldValue, written: str) -> bool:
    """The source's value is the gold value as written (numbers equal), or writes it within it
    ("October 23, 2004" for a gold "2004")."""
    text = gold.text.strip()
    return bool(text) and re.search(rf"(?<![\d.]){re.escape(text)}(?![\d.])", written) is not None


def _doc_matches(gold: str, doc_id: str) -> bool:
    return doc_id == gold or doc_id.startswith(gold + "_")


def _places(row: dict[str, Any], value: GoldValue) -> set[int]:
    """Which of a disagreement's values hold ``value`` (by document and number)."""
    return {i for i, v in enumerate(row.get("values", [])) for s in v.get("sources", [])
            if _doc_matches(value.doc_id, s["doc_id"])
            and (_same_number(value.number, float(s["number"])) or _holds(value, str(s.get("value", ""))))}


def separates(row: dict[str, Any], a: GoldValue, b: GoldValue) -> bool:
    """The disagreement puts ``a`` and ``b`` in two different values."""
    pa, pb = _places(row, a), _places(row, b)
    return any(x != y for x in pa for y in pb)


def _separates_sides(row: dict[str, Any], fact: GoldFact) -> bool:
    return any(separates(row, a, b) for i, side in enumerate(fact.sides) for other in fact.sides[i + 1:]
               for a in side for b in other)


def _key(value: GoldValue) -> tuple[str, float | None, str]:
    return value.doc_id, value.number, value.text


def _conflict_pairs(facts: Sequence[GoldFact]) -> set[frozenset[tuple[str, float | None, str]]]:
    """The pairs of values that stand on two sides of a gold conflict."""
    return {frozenset((_key(a), _key(b))) for f in facts if f.conflict
            for i, side in enumerate(f.sides) for other in f.sides[i + 1:] for a in side for b in other}


def _separates_any(row: dict[str, Any], fact: GoldFact,
                   conflicting: set[frozenset[tuple[str, float | None, str]]] = frozenset()) -> bool:  # type: ignore[assignment]
    """The row splits two of the fact's values, but not two that a gold conflict sets apart: a
    fact "A is another measure than B" may hold on its side B two sources' values that are
    themselves a conflict, and listing that conflict is no false alarm."""
    values = [v for side in fact.sides for v in side]
    return any(separates(row, a, b) for i, a in enumerate(values) for b in values[i + 1:]
               if frozenset((_key(a), _key(b))) not in conflicting)


def score_audit(report: dict[str, Any], facts: Sequence[GoldFact]) -> AuditScore:
    """Score ``report`` (``AuditReport.to_dict()``) against ``facts``."""
    rows = report.get("disagreements", [])
    score = AuditScore(rows=len(rows))
    conflicts = [f for f in facts if f.conflict]
    conflicting = _conflict_pairs(facts)
    for fact in facts:
        if fact.conflict:
            score.conflicts += 1
            (score.found if any(_separates_sides(r, fact) for r in rows) else score.missed).append(fact.name)
        else:
            score.others += 1
            if any(_separates_any(r, fact, conflicting) for r in rows):
                score.false_alarms.append(fact.name)
    score.rows_on_conflicts = sum(any(_separates_sides(r, f) for f in conflicts) for r in rows)
    return score


# ----------------------------------------------------------------------------- gold sets


def seeds_gold(path: Path) -> list[GoldFact]:
    """The seeds' facts (``eval/audit.jsonl``, from ``eval/FACTS.md``)."""
    out = []
    for row in _lines(path):
        sides = tuple(tuple(GoldValue.of(d, t) for d, t in side) for side in row["sides"])
        out.append(GoldFact(row["quantity"], row["kind"], sides, f"section {row['section']}"))
    return out


def topics_gold(path: Path) -> list[GoldFact]:
    """The multi-topic set's numeric facts (``eval/topics/questions.jsonl``): each conflict question
    a conflict (its values split into sides that cannot be the same), each rounding, format,
    identical, other-period or other-measure question a fact that must not be listed. A fact asked
    twice (in two languages) counts once."""
    out: dict[tuple[str, ...], GoldFact] = {}
    for row in _lines(path):
        if row["condition"] in ("single", "not_found", "non_numeric") or len(row.get("values", [])) < 2:
            continue
        values = [GoldValue.of(v["doc_id"], v["value"]) for v in row["values"]]
        if any(v.number is None for v in values):
            continue
        key = tuple(sorted(f"{v.doc_id}:{v.number}" for v in values))
        if key in out:
            continue
        if row["expected"] == "conflict":
            sides: list[list[GoldValue]] = []
            for v in values:
                home = next((s for s in sides if _same_number(s[0].number, v.number or 0.0)), None)
                (home.append(v) if home is not None else sides.append([v]))
            fact = GoldFact(row["id"], "conflict", tuple(tuple(s) for s in sides), row["lang"])
        else:
            fact = GoldFact(row["id"], row["condition"], (tuple(values),), row["lang"])
        out[key] = fact
    return list(out.values())


def generality_gold(path: Path, lang: str) -> list[GoldFact]:
    """The generality set's questions of one language (``questions.jsonl``): a ``conflict``
    question's original and changed values are a conflict between its two outlets; a
    ``rounding`` or ``identical`` one must not be listed."""
    out = []
    for row in _lines(path):
        if row["lang"] != lang:
            continue
        a = GoldValue.of(row["doc_a"], row["original"], "2025-02-12")
        b = GoldValue.of(row["doc_b"], row["altered"], "2025-04-08")
        if a.number is None or b.number is None:
            continue
        if row["condition"] == "conflict":
            out.append(GoldFact(row["id"], "conflict", ((a,), (b,)), lang))
        else:
            out.append(GoldFact(row["id"], row["condition"], ((a, b),), lang))
    return out


def _lines(path: Path) -> Iterable[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
