"""Audit an archive: every fact its sources disagree on, without a question.

    statements.py  every value the archive states, read in one pass, with the words around it
    facts.py       blocks, links and clusters: which statements of different sources are one fact
    scan.py        the audit itself: read, block, compare as ``ask`` compares, rank
    report.py      the typed result (AuditReport, AuditFact, AuditValue, AuditSource) and its Markdown

    >>> from retriever import FactChecker
    >>> report = FactChecker.load().audit()
    >>> [(f.label, [v.value for v in f.values]) for f in report.disagreements]
"""

from __future__ import annotations

from .facts import AuditPolicy
from .report import (AuditCounts, AuditFact, AuditReport, AuditSource, AuditValue, FactStatus, audit_markdown,
                     audit_text)
from .scan import AuditError, audit_index

__all__ = ["AuditCounts", "AuditError", "AuditFact", "AuditPolicy", "AuditReport", "AuditSource", "AuditValue", "FactStatus",
           "audit_index", "audit_markdown", "audit_text"]
