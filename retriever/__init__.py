"""Searching and answering: hybrid search → cited, extractive answers.

    >>> from retriever import FactChecker
    >>> fc = FactChecker.load()
    >>> answer = fc.ask("2024年营收是多少？")
"""

from __future__ import annotations

from .answer import Answer, AnswerPolicy, CheckReport, Citation
from .check import AlignPolicy, Verdict
from .factchecker import FactChecker, QuestionError
from .search import HybridSearcher, Passage

__all__ = ["AlignPolicy", "Answer", "AnswerPolicy", "CheckReport", "Citation", "FactChecker", "HybridSearcher",
           "Passage", "QuestionError", "Verdict"]
