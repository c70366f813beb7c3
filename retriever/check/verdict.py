"""The verdict an answer gives: one definition, used by the library, the CLI, the chat and eval."""

from __future__ import annotations

from enum import Enum


class Verdict(str, Enum):
    """What the sources say about the asked fact, as far as it was checked.

    ``CONSISTENT`` and ``CONFLICT`` are said only after the values of at least two sources were
    compared; ``QUOTED`` means sentences are quoted but no values were compared (a who/why
    question, values that could not be aligned with the question, or values of sources whose
    documents hold only the question's subject words, none of those that name the fact asked).
    """

    CONFLICT = "conflict"
    CONSISTENT = "consistent"
    SINGLE_SOURCE = "single_source"
    QUOTED = "quoted"
    NOT_FOUND = "not_found"

    @property
    def title(self) -> str:
        """How the verdict is worded for a reader."""
        return _TITLES[self]

    def __str__(self) -> str:
        return self.value


_TITLES = {
    Verdict.CONFLICT: "Sources disagree",
    Verdict.CONSISTENT: "Sources agree",
    Verdict.SINGLE_SOURCE: "Single source",
    Verdict.QUOTED: "Quoted, not compared",
    Verdict.NOT_FOUND: "Not found in the sources",
}
