"""Extractive, cited answers: sentences quoted verbatim from the retrieved passages.

Each quoted sentence carries a citation ``[n]`` naming its passage and its
exact character span in the source document. When no sentence supports the
question well enough, the verdict is ``not_found`` and nothing is cited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from index.text import content_tokens, has_cjk, normalise, tokenize

from .search import Passage, Query

if TYPE_CHECKING:
    from index.store import Index

#: Verdicts this module gives; the conflict checker adds its own.
ANSWERED = "answered"
NOT_FOUND = "not_found"

NOT_FOUND_TEXT = "The sources do not answer this question."


@dataclass
class Citation:
    """Where a quoted sentence comes from: passage, document and exact span."""

    n: int
    doc_id: str
    chunk_id: int
    passage_rank: int
    sentence_id: int
    start: int
    end: int
    quote: str
    score: float
    source: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "chunk_id": self.chunk_id,
            "passage_rank": self.passage_rank,
            "sentence_id": self.sentence_id,
            "span": [self.start, self.end],
            "quote": self.quote,
            "score": round(self.score, 4),
            "source": self.source,
        }


@dataclass
class Answer:
    """A question, its answer text with markers ``[n]``, citations and the passages behind them.

    ``verdict`` is ``answered`` or ``not_found`` (the conflict checker refines
    ``answered`` into ``consistent``, ``single_source`` or ``conflict``).
    """

    question: str
    text: str
    verdict: str
    citations: list[Citation]
    passages: list[Passage]
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the answer."""
        data = {
            "question": self.question,
            "verdict": self.verdict,
            "answer": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "notes": list(self.notes),
        }
        data.update(self.extra)
        return data


@dataclass(frozen=True)
class AnswerPolicy:
    """How sentences are chosen and when the sources are judged not to answer.

    ``min_support`` is the lowest support score a quoted sentence may have:
    ``min_support_cjk`` for questions with Chinese characters (lexical and
    dense evidence), ``min_support_latin`` for others (dense evidence only,
    which runs lower across languages).
    """

    max_sentences: int = 3
    margin: float = 0.12
    min_support_cjk: float = 0.42
    min_support_latin: float = 0.22
    lexical_bonus: float = 0.35
    min_chars: int = 6


def _lexical_support(index: "Index", query_words: list[str], sentence: str) -> float:
    """IDF-weighted share of the question's content words that the sentence contains."""
    if not query_words:
        return 0.0
    present = set(tokenize(sentence))
    idf = index.lexical.idf
    total = sum(idf.get(w, 1.0) for w in query_words)
    found = sum(idf.get(w, 1.0) for w in query_words if w in present)
    return found / total if total else 0.0


def compose_answer(index: "Index", query: Query, passages: list[Passage], policy: AnswerPolicy = AnswerPolicy()) -> Answer:
    """Pick the sentences of ``passages`` that best answer ``query`` and cite them."""
    candidates: dict[int, tuple[Passage, int, int]] = {}
    for passage in passages:
        for sid, start, end in passage.sentences:
            if sid not in candidates and end - start >= policy.min_chars:
                candidates[sid] = (passage, start, end)
    if not candidates:
        return Answer(query.text, NOT_FOUND_TEXT, NOT_FOUND, [], passages)

    ids = np.fromiter(candidates, dtype=np.int64)
    dense = index.sentence_vectors[ids] @ query.vector
    words = sorted(set(content_tokens(query.tokens)))
    bonus = policy.lexical_bonus * query.coverage
    scored = []
    for sid, d in zip(ids.tolist(), dense.tolist()):
        passage, start, end = candidates[sid]
        text = index.documents[passage.doc_id].text[start:end]
        lexical = _lexical_support(index, words, text) if bonus else 0.0
        scored.append((d + bonus * lexical, sid, passage, start, end, text))
    scored.sort(key=lambda row: (-row[0], row[1]))

    best = scored[0][0]
    floor = policy.min_support_cjk if has_cjk(query.text) else policy.min_support_latin
    if best < floor:
        answer = Answer(query.text, NOT_FOUND_TEXT, NOT_FOUND, [], passages)
        answer.notes.append(f"best supporting sentence scored {best:.2f}, below {floor:.2f}")
        return answer

    citations: list[Citation] = []
    seen_text: set[str] = set()
    for score, sid, passage, start, end, text in scored:
        if len(citations) >= policy.max_sentences or score < best - policy.margin:
            break
        key = normalise(text)
        if key in seen_text:
            continue
        seen_text.add(key)
        citations.append(Citation(len(citations) + 1, passage.doc_id, passage.chunk_id, passage.rank,
                                  sid, start, end, text, score, passage.source))
    text = "\n".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(query.text, text, ANSWERED, citations, passages)
