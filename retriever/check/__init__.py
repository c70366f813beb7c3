"""Checking what the sources say: read the question, find each source's value, compare them.

    question.py   what kind of value the question asks for, its unit, period and words
    terms.py      the question's words and how much of them a sentence holds
    align.py      which value in each source answers it (others kept apart, with the reason)
    names.py      for who/where questions, which name a sentence gives the role asked
    shares.py     the part and the whole of a share, so the share of another part is kept apart
    compare.py    intervals and units -> groups and a typed verdict
    verdict.py    the Verdict enum
"""

from __future__ import annotations

from .align import AlignPolicy, Alignment, Apart, Candidate, Sources, align, same_period
from .compare import Comparison, ValueGroup, compare, comparable, group_values
from .question import Question, read_question
from .verdict import Verdict

__all__ = ["AlignPolicy", "Alignment", "Apart", "Candidate", "Comparison", "Question", "Sources", "ValueGroup", "Verdict",
           "align", "comparable", "compare", "group_values", "read_question", "same_period"]
