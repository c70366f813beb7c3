"""The library entry point: :class:`FactChecker`."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from index.claims import QUANTITIES
from index.config import Settings
from index.embedders import Embedder, load_embedder
from index.errors import FactCheckError, IndexStaleError
from index.store import Index, ensure_index, index_exists, read_manifest
from index.text import has_cjk, normalise

from .answer import (
    NOT_FOUND,
    Answer,
    AnswerPolicy,
    compose_answer,
    compose_checked_answer,
    not_found,
    score_sentences,
    support_floor,
)
from .check import QuestionReader, check_claims
from .search import HybridSearcher, Mode, Passage

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
_PERIOD_WORD = re.compile(r"今年|去年|前年|明年|本年|上半年|下半年|年初|年底|截至|目前|现在|今天")


class QuestionError(FactCheckError, ValueError):
    """The question cannot be searched (empty, or nothing but symbols)."""


def clean_question(question: object) -> tuple[str, list[str]]:
    """Validate a question; return it cleaned, with notes on what was changed."""
    if not isinstance(question, str):
        raise QuestionError(f"A question must be text, not {type(question).__name__}.")
    notes = []
    cleaned = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cs", "Co") and c not in "\n\t" else c for c in question
    ).strip()
    if not cleaned:
        raise QuestionError("The question is empty: type a question about the articles.")
    if not any(c.isalnum() for c in cleaned):
        raise QuestionError("The question has no words, only symbols: type a question about the articles.")
    if len(cleaned) > MAX_QUESTION_CHARS:
        cleaned = cleaned[:MAX_QUESTION_CHARS]
        notes.append(f"question truncated to its first {MAX_QUESTION_CHARS} characters")
    return cleaned, notes


def _centroid(index: Index):  # type: ignore[no-untyped-def]
    """The mean direction of the corpus' passages (what the articles are about)."""
    if index.dense.ntotal == 0:
        return None
    mean = index.dense.reconstruct_n(0, index.dense.ntotal).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else None


class FactChecker:
    """Search the articles and answer questions with cited passages.

    Example::

        >>> from retriever import FactChecker
        >>> fc = FactChecker.load()
        >>> fc.search("智谱2024年收入是多少?", k=1)[0].doc_id
        '000_f31368bb9600fd75'
        >>> fc.ask("What was Zhipu's revenue in 2024?").verdict
        'answered'
    """

    def __init__(self, index: Index, embedder: Embedder, settings: Settings | None = None,
                 policy: AnswerPolicy | None = None, status: str = "loaded") -> None:
        self.settings = settings or Settings(index_dir=index.directory, embedder=index.embedder_name)
        self.index = index
        self.embedder = embedder
        self.policy = policy or AnswerPolicy()
        self.status = status
        self.reader = QuestionReader(embedder)
        self._claims_by_sentence: dict[int, list] = {}
        self._claims_by_quantity: dict[str, list] = {}
        for claim in index.claims:
            self._claims_by_sentence.setdefault(claim.sentence_id, []).append(claim)
            self._claims_by_quantity.setdefault(claim.quantity, []).append(claim)
        self._chunk_of_sentence: dict[int, int] = {}
        for chunk in index.chunks:
            for sid in chunk.sentence_ids:
                self._chunk_of_sentence.setdefault(sid, chunk.chunk_id)
        self._today = max((d.date for d in index.documents.values() if d.date), default=None)
        self._naming_cache: dict[str, frozenset[str]] = {}
        self.searcher = HybridSearcher(index, embedder, self.settings.lexical_weight, self.settings.candidates,
                                       self.settings.sentence_weight)

    @classmethod
    def load(
        cls,
        index_dir: str | Path | None = None,
        corpus_dir: str | Path | None = None,
        embedder: str | None = None,
        settings: Settings | None = None,
        rebuild: bool = True,
        progress: bool = False,
    ) -> "FactChecker":
        """Open an index, building it from the seeds (or ``corpus_dir``) if it is missing.

        Args:
            index_dir: index directory; default ``.factcheck/index`` in the project.
            corpus_dir: insist on this corpus folder (rebuild if the index is of another).
            embedder: insist on this embedder (rebuild if the index used another).
            settings: everything else (chunking, fusion, threads).
            rebuild: rebuild a missing or out-of-date index; if False, raise instead.
            progress: show a progress bar while building.
        """
        settings = (settings or Settings()).with_(index_dir=index_dir)
        corpus = Path(corpus_dir).expanduser() if corpus_dir is not None else None
        wanted = embedder
        if wanted is None:
            try:
                wanted = read_manifest(settings.index_dir)["embedder"]["name"] if index_exists(settings.index_dir) else settings.embedder
            except FactCheckError:
                wanted = settings.embedder
        model = load_embedder(wanted, settings.threads)
        index, status = ensure_index(settings, corpus, embedder, model, rebuild=rebuild, progress=progress)
        if model.name != index.embedder_name:
            model = load_embedder(index.embedder_name, settings.threads)
        if model.dim != index.dim:
            # vectors of another size under the same name: an index from another model version
            reason = f"its vectors are {index.dim}-d but {model.name} makes {model.dim}-d vectors"
            if not rebuild:
                raise IndexStaleError(f"Index at {index.directory} is out of date: {reason}. "
                                      f"Rebuild it with: factcheck index --index {index.directory}")
            from index.store import build_index

            rebuild_settings = settings.with_(corpus_dir=index.manifest["corpus"]["dir"], embedder=model.name)
            index, _ = build_index(rebuild_settings, model, progress)
            status = f"rebuilt: {reason}"
        return cls(index, model, settings.with_(embedder=index.embedder_name), status=status)

    def search(self, question: str, k: int | None = None, mode: Mode = "hybrid") -> list[Passage]:
        """The ``k`` best passages for ``question``, best first."""
        cleaned, _ = clean_question(question)
        return self.searcher.search(cleaned, k or self.settings.k, mode)

    def ask(self, question: str, k: int | None = None) -> Answer:
        """Answer ``question``: compare the sources' claims when it asks for a value, else quote sentences.

        The verdict is ``conflict``, ``consistent``, ``single_source`` or ``not_found``.
        """
        cleaned, notes = clean_question(question)
        k = k or self.settings.k
        query = self.searcher.prepare(cleaned)
        deep = self.searcher.search(query, max(k, self.policy.claim_depth))
        passages = deep[:k]
        off = self._off_topic(query, deep)
        if off:
            answer = not_found(query, passages, off)
            answer.notes[:0] = notes
            return answer
        scored = score_sentences(self.index, query, deep, self.policy.min_chars)
        frame = self.reader.read(cleaned, query.vector, today=self._today)
        candidates = self._claims_for(frame, query, deep, scored)
        focus = self._distinctive_terms(query)
        if focus:
            # "星河公司2024年收入": only documents that speak of 星河 can answer it
            allowed = set().union(*(self._docs_naming(t) for t in focus))
            candidates = [c for c in candidates if c.doc_id in allowed]
        result = check_claims(frame, candidates)
        if result is None:
            top = [s for s in scored if s.passage.rank <= k]
            answer = compose_answer(self.index, query, passages, self.policy, scored=top)
        elif result.verdict == NOT_FOUND:
            known = ", ".join(result.other_periods) or "other periods"
            answer = not_found(query, passages, f"the sources give this figure for {known}, not for {result.period}")
        else:
            answer = compose_checked_answer(self.index, query, result, scored, passages)
        answer.notes[:0] = notes
        if "check" not in answer.extra:
            answer.extra["check"] = {"question": frame.to_dict()}
        return answer

    @functools.cached_property
    def _folded_docs(self) -> dict[str, str]:
        """Every document normalised, made on the first question that needs it."""
        return {d.doc_id: normalise(d.text) for d in self.index.documents.values()}

    @functools.cached_property
    def _centroid(self):  # type: ignore[no-untyped-def]
        return _centroid(self.index)

    def _distinctive_terms(self, query) -> list[str]:  # type: ignore[no-untyped-def]
        """The subject a Chinese question opens with ("星河公司2024年收入…"), when only some
        documents speak of it: claims must then come from those documents.

        The first word counts unless it names a quantity or a period; a subject every
        document mentions (the company all articles are about) restricts nothing.
        """
        if not query.tokens:
            return []
        first = query.tokens[0]
        if len(first) < 2 or not has_cjk(first) or _PERIOD_WORD.fullmatch(first):
            return []
        if any(first in w or w in first for q in QUANTITIES for w in q.zh):
            return []
        df = len(self._docs_naming(first))
        return [first] if 0 < df < len(self._folded_docs) else []

    def _docs_naming(self, term: str) -> frozenset[str]:
        """The documents whose (normalised) text contains ``term``, remembered per term."""
        found = self._naming_cache.get(term)
        if found is None:
            found = frozenset(doc_id for doc_id, text in self._folded_docs.items() if term in text)
            if len(self._naming_cache) > 4096:
                self._naming_cache.clear()
            self._naming_cache[term] = found
        return found

    def _off_topic(self, query, deep: list[Passage]) -> str:  # type: ignore[no-untyped-def]
        """Why a question is about something else than the corpus, or "" when it is not.

        Measured on the gold set and off-topic probes: no answerable question had its best passage
        below ``min_passage_similarity``, nor was far from the corpus centre while sharing no word
        with it (English questions about the articles name the company, a product or a figure).
        """
        best = max((p.dense_score for p in deep), default=0.0)
        if best < self.policy.min_passage_similarity:
            return f"no passage is close to the question (best similarity {best:.2f})"
        if self._centroid is not None and query.coverage == 0.0:
            topic = float(self._centroid @ query.vector)
            if topic < self.policy.min_topic_similarity:
                return f"the question shares no word with the articles and is far from their topic ({topic:.2f})"
        return ""

    def _claims_for(self, frame, query, deep: list[Passage], scored: list) -> list:  # type: ignore[no-untyped-def]
        """Claims that may answer the question: those of the retrieved sentences, plus every
        claim of the asked quantity anywhere in the corpus (a fact-check wants all sources)."""
        floor = support_floor(query, self.policy) - self.policy.claim_slack
        seen = {s.sentence_id for s in scored}
        candidates = [c for s in scored if s.score >= floor for c in self._claims_by_sentence.get(s.sentence_id, ())]
        if not frame.quantity:
            return candidates
        others = [sid for sid in dict.fromkeys(c.sentence_id for c in self._claims_by_quantity.get(frame.quantity, ()))
                  if sid not in seen and sid in self._chunk_of_sentence]
        if len(others) > self.policy.claim_pool:
            # a large corpus: only the sentences closest to the question are worth reading
            sims = self.index.sentence_vectors[np.asarray(others)] @ query.vector
            others = [others[i] for i in np.argsort(-sims, kind="stable")[: self.policy.claim_pool]]
        extra_chunks = [self._chunk_of_sentence[sid] for sid in others]
        if extra_chunks:
            rank = len(deep)
            passages = [self.searcher.passage(rank + i + 1, cid) for i, cid in enumerate(dict.fromkeys(extra_chunks))]
            more = score_sentences(self.index, query, passages, self.policy.min_chars)
            scored.extend(more)
            candidates += [c for s in more if s.score >= floor for c in self._claims_by_sentence.get(s.sentence_id, ())
                           if c.quantity == frame.quantity]
        return candidates

    def add(self, paths: Iterable[str | Path], names: Iterable[str | None] | None = None) -> dict[str, Any]:
        """Add files to the corpus and the index (only they are embedded); returns what was done.

        Files with content already indexed, or a name already taken, are skipped and reported.
        """
        from index.update import add_documents

        index, report = add_documents(self.index.directory, paths, names, embedder=self.embedder)
        self._reload(index)
        return report.to_dict()

    def remove(self, doc_ids: Iterable[str]) -> dict[str, Any]:
        """Remove documents from the index; their files move to ``<corpus>/.removed/``."""
        from index.update import remove_documents

        index, report = remove_documents(self.index.directory, doc_ids)
        self._reload(index)
        return report.to_dict()

    def _reload(self, index: Index) -> None:
        fresh = FactChecker(index, self.embedder, self.settings, self.policy, status="updated")
        self.__dict__.clear()  # also drops state cached from the old index
        self.__dict__.update(fresh.__dict__)

    def info(self) -> dict[str, Any]:
        """What is loaded: index directory, embedder, counts, corpus."""
        m = self.index.manifest
        return {
            "index_dir": str(self.index.directory),
            "embedder": m["embedder"],
            "counts": m["counts"],
            "corpus_dir": m["corpus"]["dir"],
            "created_at": m.get("created_at"),
            "status": self.status,
        }
