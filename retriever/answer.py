"""Extractive, cited answers: sentences quoted verbatim from the retrieved passages.

Each quoted sentence carries a citation ``[n]`` naming its passage and its
exact character span in the source document. When no sentence supports the
question well enough, the verdict is ``not_found`` and nothing is cited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from index.text import content_tokens, has_cjk, normalise

from .search import Passage, Query

if TYPE_CHECKING:
    from index.claims import Claim
    from index.store import Index

    from .check import CheckResult

NOT_FOUND = "not_found"
CONSISTENT = "consistent"
SINGLE_SOURCE = "single_source"
CONFLICT = "conflict"

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
    value: str = ""
    value_start: int = -1
    value_end: int = -1

    def to_dict(self) -> dict[str, Any]:
        data = {
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
        if self.value:
            data["value"] = self.value
            data["value_span"] = [self.value_start, self.value_end]
        return data


@dataclass
class Answer:
    """A question, its answer text with markers ``[n]``, citations and the passages behind them.

    ``verdict`` is ``consistent`` (several sources agree), ``single_source``,
    ``conflict`` (sources state different values) or ``not_found``.
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

    Claims are gathered from the ``claim_depth`` best passages and from up to
    ``claim_pool`` other sentences stating the asked quantity (the closest to the
    question), keeping those scoring at least the support floor less ``claim_slack``.

    ``min_support`` is the lowest support score a quoted sentence may have:
    ``min_support_cjk`` for questions with Chinese characters (lexical and
    dense evidence), ``min_support_latin`` for others (dense evidence only,
    which runs lower across languages).
    """

    max_sentences: int = 3
    margin: float = 0.12
    min_support_cjk: float = 0.42
    min_support_latin: float = 0.22
    min_chars: int = 6
    agree_margin: float = 0.12
    min_passage_similarity: float = 0.18
    min_topic_similarity: float = 0.10
    claim_depth: int = 20
    claim_pool: int = 60
    claim_slack: float = 0.15


def _lexical_support(index: "Index", query_words: list[str], sentence: str) -> float:
    """IDF-weighted share of the question's content words that the sentence contains."""
    if not query_words:
        return 0.0
    # Containment in the normalised sentence, not a second jieba pass: the same words count,
    # and at 100k chunks re-tokenizing candidate sentences was half of an answer's time.
    text = normalise(sentence)
    idf = index.lexical.idf
    total = sum(idf.get(w, 1.0) for w in query_words)
    found = sum(idf.get(w, 1.0) for w in query_words if w in text)
    return found / total if total else 0.0


@dataclass
class ScoredSentence:
    score: float
    sentence_id: int
    passage: Passage
    start: int
    end: int
    text: str


def score_sentences(index: "Index", query: Query, passages: list[Passage], min_chars: int = 6) -> list[ScoredSentence]:
    """Every sentence of ``passages`` scored for how well it supports ``query``, best first.

    The score is the sentence's cosine with the question plus a bonus for the
    IDF-weighted share of the question's words it contains (scaled by how many
    of them the corpus knows, so English questions rely on the vectors).
    """
    candidates: dict[int, tuple[Passage, int, int]] = {}
    for passage in passages:
        for sid, start, end in passage.sentences:
            if sid not in candidates and end - start >= min_chars:
                candidates[sid] = (passage, start, end)
    if not candidates:
        return []
    ids = np.fromiter(candidates, dtype=np.int64)
    dense = index.sentence_vectors[ids] @ query.vector
    words = sorted(set(content_tokens(query.tokens)))
    bonus = LEXICAL_BONUS * query.coverage
    scored = []
    for sid, d in zip(ids.tolist(), dense.tolist()):
        passage, start, end = candidates[sid]
        text = index.documents[passage.doc_id].text[start:end]
        lexical = _lexical_support(index, words, text) if bonus else 0.0
        scored.append(ScoredSentence(d + bonus * lexical, sid, passage, start, end, text))
    scored.sort(key=lambda s: (-s.score, s.sentence_id))
    return scored


LEXICAL_BONUS = 0.35


def support_floor(query: Query, policy: AnswerPolicy) -> float:
    """The lowest support score a quoted sentence may have for this question."""
    return policy.min_support_cjk if has_cjk(query.text) else policy.min_support_latin


def not_found(query: Query, passages: list[Passage], note: str) -> Answer:
    """An honest "the sources do not say", citing nothing."""
    return Answer(query.text, NOT_FOUND_TEXT, NOT_FOUND, [], passages, notes=[note])


def compose_answer(index: "Index", query: Query, passages: list[Passage], policy: AnswerPolicy = AnswerPolicy(),
                   scored: list[ScoredSentence] | None = None) -> Answer:
    """Quote the sentences of ``passages`` that best answer ``query``, citing each.

    The verdict is ``single_source`` or ``consistent`` by how many documents
    the quotes come from, or ``not_found`` when no sentence is supportive enough.
    """
    scored = score_sentences(index, query, passages, policy.min_chars) if scored is None else scored
    if not scored:
        return not_found(query, passages, "no passage matched the question")
    best = scored[0].score
    floor = support_floor(query, policy)
    if best < floor:
        return not_found(query, passages, f"best supporting sentence scored {best:.2f}, below {floor:.2f}")
    citations: list[Citation] = []
    seen_text: set[str] = set()
    for s in scored:
        if len(citations) >= policy.max_sentences or s.score < best - policy.margin:
            break
        key = normalise(s.text)
        if key in seen_text:
            continue
        seen_text.add(key)
        citations.append(Citation(len(citations) + 1, s.passage.doc_id, s.passage.chunk_id, s.passage.rank,
                                  s.sentence_id, s.start, s.end, s.text, s.score, s.passage.source))
    text = "\n".join(f"{c.quote} [{c.n}]" for c in citations)
    # Several documents count as agreeing only when each supports the answer nearly as well as the best.
    close = {c.doc_id for c in citations if c.score >= best - policy.agree_margin}
    verdict = CONSISTENT if len(close) > 1 else SINGLE_SOURCE
    return Answer(query.text, text, verdict, citations, passages)


def compose_checked_answer(index: "Index", query: Query, result: "CheckResult", scored: list[ScoredSentence],
                           passages: list[Passage]) -> Answer:
    """An answer built from compared claims: each distinct value with its sources, dates and citations."""
    from index.claims import quantity_def

    where = {s.sentence_id: s for s in scored}
    citations: list[Citation] = []
    by_sentence: dict[tuple[int, int], Citation] = {}
    lines: list[str] = []
    qdef = quantity_def(result.frame.quantity)
    what = (qdef.description if qdef else result.frame.quantity) + (f", {result.period}" if result.period else "")
    if result.frame.qualifiers:
        what += f" [{', '.join(sorted(result.frame.qualifiers))}]"
    from .check import reported

    newest = max((reported(c) for c in result.claims), default="")
    if result.verdict == CONFLICT:
        lines.append(f"The sources disagree on {what}:")
    elif result.verdict == CONSISTENT:
        lines.append(f"{len({c.doc_id for c in result.claims})} sources agree on {what}:")
    else:
        lines.append(f"One source states {what}:")
    groups_out = []
    for group in result.groups:
        refs = []
        quotes = []
        for claim in sorted(group.claims, key=lambda c: (c.doc_date or "", c.doc_id, c.start)):
            s = where.get(claim.sentence_id)
            if s is None:
                continue
            key = (claim.sentence_id, claim.claim_id if result.verdict == CONFLICT else -1)
            cite = by_sentence.get((claim.sentence_id, -1)) or by_sentence.get(key)
            if cite is None:
                cite = Citation(len(citations) + 1, s.passage.doc_id, s.passage.chunk_id, s.passage.rank,
                                s.sentence_id, s.start, s.end, s.text, s.score, s.passage.source,
                                value=claim.text, value_start=claim.start, value_end=claim.end)
                citations.append(cite)
                by_sentence[(claim.sentence_id, -1)] = cite
                quotes.append(f"  {s.text} [{cite.n}]")
            refs.append(cite)
        if not refs:
            continue
        when = {c.doc_id: reported(c) for c in sorted(group.claims, key=reported)}
        sources = sorted((date, doc) for doc, date in when.items())
        latest = " (most recent)" if result.verdict == CONFLICT and group.latest_date == newest else ""
        lines.append(f"• {group.label()} — " + "; ".join(
            f"{doc} ({date or 'undated'})" for date, doc in sources) + latest)
        lines.extend(quotes)
        groups_out.append({
            "value": group.label(),
            "interval": [group.low, group.high],
            "doc_ids": group.doc_ids,
            "dates": {doc: date for date, doc in sources},
            "citations": sorted({c.n for c in refs}),
            "most_recent": bool(latest),
        })
    if result.verdict == CONFLICT and newest:
        recent = sorted({c.doc_id for c in result.claims if reported(c) == newest})
        lines.append(f"Most recent source: {', '.join(recent)} ({newest}).")
    passages = list(passages)
    for cite in citations:
        if all(p.chunk_id != cite.chunk_id for p in passages):
            passages.append(where[cite.sentence_id].passage)
    answer = Answer(query.text, "\n".join(lines), result.verdict, citations, passages, notes=list(result.notes))
    answer.extra = {
        "check": {
            "question": result.frame.to_dict(),
            "period": result.period,
            "groups": groups_out,
            "most_recent_date": newest,
        },
        "claims": [claim_dict(c) for c in result.claims],
    }
    return answer


def claim_dict(claim: "Claim") -> dict[str, Any]:
    """A claim as shown in ``Answer.to_dict()``."""
    return {
        "claim_id": claim.claim_id,
        "doc_id": claim.doc_id,
        "text": claim.text,
        "value": claim.value,
        "unit": claim.unit,
        "counter": claim.counter,
        "interval": [claim.low, claim.high],
        "hedge": claim.hedge,
        "quantity": claim.quantity,
        "qualifiers": list(claim.qualifiers),
        "period": claim.period,
        "reported": claim.reported,
        "sentence_id": claim.sentence_id,
        "value_span": [claim.start, claim.end],
        "doc_date": claim.doc_date,
    }
