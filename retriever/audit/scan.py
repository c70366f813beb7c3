"""Audit an index: read every value once, find the facts two or more sources state, compare each.

The comparison is the one ``ask`` makes (:func:`retriever.check.group_values`: intervals widened
by precision and hedges, units made common), so a rounding or a hedge is not a disagreement, and
a value of another period or another measure is not the same fact (:mod:`.facts`).
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np

from index.errors import FactCheckError
from index.values import ValueKind, language_of

from ..answer import in_english, source_name
from ..check.compare import ValueGroup, group_values
from .facts import AuditPolicy, Fact, find_facts
from .report import AuditCounts, AuditFact, AuditReport, AuditSource, AuditValue, FactStatus
from .statements import Statement, read_statements

if TYPE_CHECKING:
    from index.store import Index


class AuditError(FactCheckError, ValueError):
    """The audit was asked for with a bad setting (``min_sources`` below 2)."""

#: chunks whose vectors are read at once to find each document's direction
_VECTOR_BATCH = 8192
#: characters of a fact's clause shown as its label, around the value
_LABEL_CHARS = 60


def audit_index(index: "Index", min_sources: int = 2, policy: AuditPolicy = AuditPolicy(),
                progress: bool = False) -> AuditReport:
    """Every fact that two or more sources of ``index`` state: disagreements (strongest first)
    and facts at least ``min_sources`` sources agree on.

    ``progress`` shows progress bars on stderr (reading values, then comparing pairs).
    """
    if isinstance(min_sources, bool) or not isinstance(min_sources, int) or min_sources < 2:
        raise AuditError(f"min_sources must be a whole number of at least 2, not {str(min_sources)[:20]!r}")
    started = time.perf_counter()
    with _bar(len(index.documents), "reading values", "doc", progress) as step:
        statements = list(read_statements(index, progress=step))
    read = time.perf_counter()
    directions = document_directions(index)
    with _bar(None, "comparing", "doc pair", progress) as step:
        facts, stats = find_facts(statements, directions, index.sentence_vectors, policy, progress=step)
    compared = time.perf_counter()
    disagreements, corroborated = [], []
    for fact in facts:
        audited = _audit_fact(index, fact)
        if audited is None:
            continue
        if audited.status is FactStatus.DISAGREE:
            disagreements.append(audited)
        elif audited.sources >= min_sources:
            corroborated.append(audited)
    disagreements.sort(key=lambda f: (-f.strength, f.label))
    corroborated.sort(key=lambda f: (-f.sources, -f.likeness, f.label))
    values = sum(s.reached is None for s in statements)  # a time to reach a figure is no value of its own
    counts = AuditCounts(len(index.documents), values, stats.documents, stats.blocks, stats.pairs, len(facts),
                         time.perf_counter() - started, read - started, compared - read)
    return AuditReport(tuple(disagreements), tuple(corroborated), counts, min_sources, str(index.directory))


@contextlib.contextmanager
def _bar(total: int | None, label: str, unit: str, show: bool) -> Iterator[Callable[[int], None] | None]:
    if not show:
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=label, unit=unit, leave=False, dynamic_ncols=True, file=sys.stderr) as bar:
        yield bar.update


def document_directions(index: "Index") -> np.ndarray:
    """Each document's mean passage direction (unit length; rows in the documents' order), read in
    batches of chunk vectors: how alike two documents are is the dot product of two rows."""
    n_docs = len(index.documents)
    owner = np.asarray(index.chunks.rows[:, 0], dtype=np.int64)
    sums = np.zeros((n_docs, index.dim), dtype=np.float64)
    total = int(index.dense.ntotal)
    for start in range(0, total, _VECTOR_BATCH):
        stop = min(total, start + _VECTOR_BATCH)
        vectors = index.dense.reconstruct_n(start, stop - start)
        np.add.at(sums, owner[start:stop], vectors)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (sums / norms).astype(np.float32)


def _audit_fact(index: "Index", fact: Fact) -> AuditFact | None:
    """The fact's values compared as ``ask`` compares them, with sources, label and question."""
    groups = group_values(fact.members)  # type: ignore[arg-type]
    if not groups:
        return None
    status = FactStatus.DISAGREE if len(groups) > 1 else FactStatus.AGREE
    newest = max((g.latest for g in groups), default="") if status is FactStatus.DISAGREE else ""
    values = tuple(_value(index, g, bool(newest) and g.latest == newest) for g in groups)
    lead = max(groups[0].members, key=lambda s: (len(s.context), -s.doc))  # type: ignore[attr-defined]
    period = next((s.claim.period_label for s in fact.members if s.claim.period is not None), "")  # type: ignore[attr-defined]
    measure = tuple(sorted(lead.claim.modifiers))
    label, question = _describe(index, lead)
    gap = _gap(groups[0], groups[1]) if len(groups) > 1 else 0.0
    strength = 0.0
    if len(groups) > 1:
        sides = sorted((len(g.doc_ids) for g in groups), reverse=True)
        support = 1.0 - 1.0 / (1.0 + sides[1]) * 0.5 - 1.0 / (1.0 + sides[0]) * 0.5
        strength = 0.4 * min(1.0, gap / 0.5) + 0.3 * fact.likeness + 0.3 * support
    return AuditFact(status, label, period, measure, values, strength, gap, fact.likeness, question)


def _value(index: "Index", group: ValueGroup, latest: bool) -> AuditValue:
    members: list[Statement] = sorted(group.members, key=lambda s: (s.claim.reported or "", s.doc_id))  # type: ignore[arg-type]
    sources = []
    for s in members:
        meta = {**index.documents.meta(s.doc_id), "doc_id": s.doc_id}
        claim = s.claim
        sources.append(AuditSource(s.doc_id, claim.value.text, claim.value.number, source_name(meta), claim.doc_date, claim.reported, claim.sentence[0],
                                   claim.sentence[1], s.text, claim.value.start, claim.value.end))
    label = group.label()
    shown = next(s.value for s in members if s.value.text == label)
    return AuditValue(label, shown.kind.value, shown.unit, (group.low, group.high), shown.number, tuple(sources),
                      latest, in_english(shown))


def _gap(a: ValueGroup, b: ValueGroup) -> float:
    """How far apart two groups' values are: relative to the larger (years apart / 10 for dates)."""
    va, vb = a.members[0].value, b.members[0].value
    if va.kind is ValueKind.DATE:
        return min(1.0, abs(va.number - vb.number) / 10.0)
    na, nb = (_as_percent(va.number, va.kind), _as_percent(vb.number, vb.kind))
    scale = max(abs(na), abs(nb))
    return min(1.0, abs(na - nb) / scale) if scale else 0.0


def _as_percent(number: float, kind: ValueKind) -> float:
    return number * 100 if kind is ValueKind.MULTIPLE else number


_ASK = {"zh": {"date": "何时", "duration": "多久", "value": "多少", "end": "？"},
        "en": {"date": "when", "duration": "how long", "value": "how much", "end": "?"}}
_CLAUSE_EDGE = re.compile(r"^[\s,，、;；:：]+|[\s,，、;；:：。.!?！？]+$")


def _describe(index: "Index", s: Statement) -> tuple[str, str]:
    """The fact in a few words (its clause, the value shown as …) and a question to ask about it."""
    claim = s.claim
    text = index.documents.text_at(s.doc)
    lo, hi = claim.context
    v0, v1 = claim.value.start, claim.value.end
    lo, hi = max(lo, v0 - _LABEL_CHARS), min(hi, v1 + _LABEL_CHARS)
    before, after = text[lo:v0], text[v1:hi]
    lang = language_of(s.text)
    words = _ASK[lang]
    label = _CLAUSE_EDGE.sub("", f"{before}…{after}")
    asked = words.get(claim.value.kind.value, words["value"])
    question = _CLAUSE_EDGE.sub("", f"{before}{asked}{after}")
    period = claim.period
    if period is not None and not (lo <= period.start and period.end <= hi):
        # the period is named elsewhere in the sentence (or the one before): say it
        question = f"{period.text}{'' if lang == 'zh' else ', '}{question}"
    return " ".join(label.split()), " ".join(question.split()) + words["end"]
