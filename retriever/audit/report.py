"""What an audit found, typed: each fact, its values, who states each, and where.

:class:`AuditReport` is what :meth:`retriever.FactChecker.audit` returns; ``to_dict()`` is what
``factcheck audit --json`` prints and ``to_markdown()`` what ``--markdown`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from index.text import one_line

from ..answer import when_text


class FactStatus(str, Enum):
    """What the sources that state a fact do."""

    DISAGREE = "disagree"  # two or more values that cannot be the same
    AGREE = "agree"  # one value (roundings and hedges included), from two or more sources

    @property
    def title(self) -> str:
        return "Sources disagree" if self is FactStatus.DISAGREE else "Sources agree"


@dataclass(frozen=True)
class AuditSource:
    """One source stating a value: who, when, the value as it writes it (``number`` in its kind's
    base unit) and the sentence quoted (``start``/``end`` are its span in the document's text,
    ``value_start``/``value_end`` the value's)."""

    doc_id: str
    value: str
    number: float
    name: str
    date: str | None
    reported: str | None
    start: int
    end: int
    quote: str
    value_start: int
    value_end: int

    def when(self) -> str:
        return when_text(self.date, self.reported)

    def to_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "value": self.value, "number": self.number, "name": self.name, "date": self.date, "reported": self.reported,
                "when": self.when(), "span": [self.start, self.end], "quote": self.quote,
                "value_span": [self.value_start, self.value_end]}


@dataclass(frozen=True)
class AuditValue:
    """A value of a fact with every source that states it (values that can be the same are one)."""

    value: str
    kind: str
    unit: str
    interval: tuple[float, float]
    number: float
    sources: tuple[AuditSource, ...]
    latest: bool = False
    english: str = ""

    @property
    def doc_ids(self) -> list[str]:
        return sorted({s.doc_id for s in self.sources})

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "kind": self.kind, "unit": self.unit, "interval": list(self.interval),
                "number": self.number, "english": self.english, "latest_report": self.latest,
                "doc_ids": self.doc_ids, "sources": [s.to_dict() for s in self.sources]}


@dataclass(frozen=True)
class AuditFact:
    """One fact two or more sources state: in a few words, its period and measure, its values.

    ``strength`` orders disagreements (0..1): how far apart the values are (``gap``, relative),
    how many sources stand on each side, and how alike the words around the values are
    (``likeness``). ``question`` is a question to ask about it (``factcheck ask``, or the chat).
    """

    status: FactStatus
    label: str
    period: str
    measure: tuple[str, ...]
    values: tuple[AuditValue, ...]
    strength: float
    gap: float
    likeness: float
    question: str

    @property
    def sources(self) -> int:
        return len({s.doc_id for v in self.values for s in v.sources})

    @property
    def command(self) -> str:
        return "factcheck ask " + _shell_quote(self.question)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "title": self.status.title, "label": self.label, "period": self.period,
                "measure": list(self.measure), "sources": self.sources, "strength": round(self.strength, 4),
                "gap": round(self.gap, 4), "likeness": round(self.likeness, 4), "question": self.question,
                "command": self.command, "values": [v.to_dict() for v in self.values]}


@dataclass(frozen=True)
class AuditCounts:
    """How much was read and compared."""

    documents: int
    statements: int  # values read from the sentences
    document_pairs: int  # pairs of documents on one subject compared
    blocks: int  # (document pair, unit family and measure) blocks compared within
    pairs: int  # pairs of statements compared
    facts: int  # facts stated by two or more sources (all compared)
    seconds: float
    reading_seconds: float = 0.0  # of which reading every value
    comparing_seconds: float = 0.0  # of which finding the facts (neighbours, blocks, links, clusters)

    def to_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "statements": self.statements,
                "document_pairs": self.document_pairs, "blocks": self.blocks, "pairs": self.pairs, "facts_compared": self.facts,
                "seconds": round(self.seconds, 3), "reading_seconds": round(self.reading_seconds, 3),
                "comparing_seconds": round(self.comparing_seconds, 3)}


@dataclass(frozen=True)
class AuditReport:
    """Every fact the sources disagree on (strongest first), the facts they agree on, and counts."""

    disagreements: tuple[AuditFact, ...]
    corroborated: tuple[AuditFact, ...]
    counts: AuditCounts
    min_sources: int = 2
    index_dir: str = ""

    @property
    def compared(self) -> int:
        """How many facts were compared in all (stated by two or more sources)."""
        return self.counts.facts

    def to_dict(self) -> dict[str, Any]:
        return {"index_dir": self.index_dir, "min_sources": self.min_sources, "facts_compared": self.compared,
                "counts": self.counts.to_dict(), "disagreements": [f.to_dict() for f in self.disagreements],
                "corroborated": [f.to_dict() for f in self.corroborated]}

    def to_markdown(self) -> str:
        return audit_markdown(self.to_dict())


def _shell_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`") + '"'


def _md(text: object) -> str:
    return one_line(text).replace("|", "\\|")


def fact_heading(fact: dict[str, Any]) -> str:
    """The fact in a few words, with its period and measure: ``净亏损达… · 2025H1 · adjusted``."""
    parts = [one_line(fact.get("label", ""))]
    if fact.get("period"):
        parts.append(one_line(fact["period"]))
    parts += [one_line(m).replace("_", " ") for m in fact.get("measure", [])]
    return " · ".join(p for p in parts if p)


def audit_markdown(data: dict[str, Any]) -> str:
    """An audit (``AuditReport.to_dict()``) as Markdown: the disagreements, strongest first, each
    value with who states it, when, and the quoted sentence; then the corroborated facts."""
    counts = data.get("counts", {})
    dis, agree = data.get("disagreements", []), data.get("corroborated", [])
    out = ["## Audit: what the sources disagree on", "",
           f"{counts.get('documents', 0)} documents, {counts.get('statements', 0)} values read; "
           f"{data.get('facts_compared', 0)} facts stated by two or more sources compared: "
           f"**{len(dis)} disagreements**, {len(agree)} corroborated."]
    for title, facts in (("Disagreements", dis), ("Corroborated", agree)):
        if not facts:
            continue
        out += ["", f"### {title}"]
        for n, fact in enumerate(facts, 1):
            out += ["", f"**{n}. {_md(fact_heading(fact))}** ({int(fact.get('sources', 0))} sources)", "",
                    "| Value | Source | Date | Quote |", "|---|---|---|---|"]
            for v in fact.get("values", []):
                shown = _md(v["value"]) + (f" ≈ {_md(v['english'])}" if v.get("english") else "")
                shown += " · latest report" if v.get("latest_report") else ""
                for i, s in enumerate(v.get("sources", [])):
                    span = s.get("span", [0, 0])
                    out.append(f"| {shown if i == 0 else ''} | {_md(s.get('name') or s.get('doc_id', ''))} "
                               f"| {_md(s.get('when') or when_text(s.get('date'), s.get('reported')))} "
                               f"| {_md(s.get('quote', ''))} (`{_md(s.get('doc_id', ''))}` {int(span[0])}–{int(span[1])}) |")
            out += ["", f"Ask: `{_md(fact.get('command', ''))}`"]
    return "\n".join(out) + "\n"


def audit_text(data: dict[str, Any], width: int = 78, limit: int | None = None) -> str:
    """An audit (``AuditReport.to_dict()``) for a terminal: a summary line, then each disagreement
    (strongest first) with each value, who states it and when, the quoted sentence and where it
    is; then the corroborated facts, one line each. Wrapped at spaces or between CJK characters."""
    from ..terminal import wrap

    counts = data.get("counts", {})
    dis, agree = data.get("disagreements", []), data.get("corroborated", [])
    lines = wrap(f"Audit of {counts.get('documents', 0)} documents: {counts.get('statements', 0)} values read, "
                 f"{data.get('facts_compared', 0)} facts stated by two or more sources compared: "
                 f"{len(dis)} disagreements, {len(agree)} corroborated "
                 f"({float(counts.get('seconds', 0.0)):.1f} s).", width)
    shown_dis = dis if limit is None else dis[:limit]
    if shown_dis:
        lines += ["", "DISAGREEMENTS (strongest first)"]
    for n, fact in enumerate(shown_dis, 1):
        lines += [""] + wrap(f"{n}. {fact_heading(fact)}  [{int(fact.get('sources', 0))} sources, "
                             f"strength {float(fact.get('strength', 0.0)):.2f}]", width, "", "   ")
        for v in fact.get("values", []):
            shown = one_line(v["value"]) + (f" ≈ {one_line(v['english'])}" if v.get("english") else "")
            shown += " · latest report" if v.get("latest_report") else ""
            lines += wrap(f"• {shown}", width, "   ", "     ")
            for s in v.get("sources", []):
                span = s.get("span", [0, 0])
                lines += wrap(f"{one_line(s.get('name') or s.get('doc_id', ''))} · {one_line(s.get('when', ''))} · "
                              f"{one_line(s.get('doc_id', ''))} chars {int(span[0])}-{int(span[1])}",
                              width, "     - ", "       ")
                lines += wrap(f"“{one_line(s.get('quote', ''))}”", width, "       ", "       ")
        lines += wrap(f"ask: {one_line(fact.get('command', ''))}", width, "   ", "     ")
    if limit is not None and len(dis) > limit:
        lines += ["", f"… and {len(dis) - limit} more disagreements (--limit, or --json for all)"]
    shown_agree = agree if limit is None else agree[:limit]
    if shown_agree:
        lines += ["", "CORROBORATED (two or more sources agree)"]
    for fact in shown_agree:
        v = fact.get("values", [{}])[0]
        names = list(dict.fromkeys(one_line(s.get("name") or s.get("doc_id", "")) for s in v.get("sources", [])))
        lines += wrap(f"✓ {fact_heading(fact)}: {one_line(v.get('value', ''))} — {', '.join(names)}",
                      width, "  ", "    ")
    if limit is not None and len(agree) > limit:
        lines += [f"  … and {len(agree) - limit} more"]
    return "\n".join(lines)


__all__ = ["AuditCounts", "AuditFact", "AuditReport", "AuditSource", "AuditValue", "FactStatus", "audit_markdown",
           "audit_text", "fact_heading"]

