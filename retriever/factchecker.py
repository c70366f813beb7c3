"""The library entry point: :class:`FactChecker`."""

from __future__ import annotations

import json
import logging
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from index.config import Settings
from index.embedders import Embedder, load_embedder
from index.errors import FactCheckError, IndexStaleError
from index.store import MANIFEST, Index, current_generation, ensure_index, index_exists, load_index, read_manifest
from index.values import ValueKind
from index.values.names import chinese_names_available

from .answer import (
    Answer,
    AnswerPolicy,
    ScoredSentence,
    compose_answer,
    compose_checked_answer,
    not_found,
    score_sentences,
    support_floor,
)
from .archive import Archive
from .bridge import holds
from .check import Apart, Verdict, align, compare, read_question
from .check.kin import WordKin
from .search import HybridSearcher, Mode, Passage

if TYPE_CHECKING:
    from .audit import AuditReport

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
MAX_K = 100


class QuestionError(FactCheckError, ValueError):
    """The question cannot be searched (empty, or nothing but symbols)."""


def clean_question(question: object) -> str:
    """Validate a question and return it without control characters; a question that is not
    text, empty, only symbols or over :data:`MAX_QUESTION_CHARS` raises :class:`QuestionError`."""
    if not isinstance(question, str):
        raise QuestionError(f"A question must be text, not {type(question).__name__}.")
    if len(question) > MAX_QUESTION_CHARS:  # before any work on it: a pasted book costs nothing
        raise QuestionError(f"The question is {len(question):,} characters long; the limit is "
                            f"{MAX_QUESTION_CHARS:,}. Ask a shorter question.")
    cleaned = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cs", "Co") and c not in "\n\t" else c for c in question
    ).strip()
    if not cleaned:
        raise QuestionError("The question is empty: type a question about the articles.")
    if not any(c.isalnum() for c in cleaned):
        raise QuestionError("The question has no words, only symbols: type a question about the articles.")
    return cleaned


def _generation(index: Index) -> str | None:
    """The generation ``index`` was loaded from, if it is the current one on disk."""
    name = current_generation(Path(index.directory))
    if name is None:
        return None
    try:
        manifest = json.loads((Path(index.directory) / name / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return name if isinstance(manifest, dict) and manifest.get("files") == index.manifest.get("files") else None


class FactChecker:
    """Search the articles and answer questions with cited passages.

    Example::

        >>> from retriever import FactChecker
        >>> fc = FactChecker.load(index_dir="~/articles-index", corpus_dir="~/articles")
        >>> passages = fc.search("2024年营收是多少？", k=3)
        >>> answer = fc.ask("How many people died in the flood?")
        >>> answer.verdict.value, [v.value for v in answer.check.values]
    """

    _refresh_lock = threading.Lock()

    def __init__(self, index: Index, embedder: Embedder, settings: Settings | None = None,
                 policy: AnswerPolicy | None = None, status: str = "loaded") -> None:
        self.settings = settings or Settings(index_dir=index.directory, embedder=index.embedder_name)
        self.index = index
        self.embedder = embedder
        self.policy = policy or AnswerPolicy()
        self.status = status
        self._today = max((m["date"] for m in index.documents.metas() if m.get("date")), default=None)
        self.archive = Archive(index)
        self.searcher = HybridSearcher(index, embedder, self.settings.lexical_weight, self.settings.candidates,
                                       self.settings.sentence_weight, self.settings.bridge_weight,
                                       self.settings.lead_weight, self.settings.cross_bridge_weight,
                                       self.settings.cross_centring)
        self._generation = _generation(index)
        self._unreadable: str | None = None  # a published generation that failed to load
        similarity = getattr(embedder, "word_similarity", None)
        self.kin = WordKin(index.lexical.idf, embedder.embed_queries, similarity) if similarity else None

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
        cleaned = clean_question(question)
        return self.searcher.search(cleaned, self._k(k), mode)

    def ask(self, question: str, k: int | None = None) -> Answer:
        """Answer ``question``: compare the values the sources state when it asks for one, else quote.

        The verdict (:class:`~retriever.check.Verdict`) is ``conflict`` or ``consistent`` only
        after values of two or more sources were compared; ``single_source`` when one source
        states the value; ``quoted`` when sentences are quoted but nothing was compared;
        ``not_found`` when the sources do not answer.
        """
        return self._pinned()._ask(question, k)

    def _ask(self, question: str, k: int | None) -> Answer:
        cleaned = clean_question(question)
        k = self._k(k)
        query = self.searcher.prepare(cleaned)
        deep = self.searcher.search(query, max(k, self.policy.claim_depth))
        passages = deep[:k]
        off = self._off_topic(query, deep)
        if off:
            return not_found(query, passages, off)
        scored = score_sentences(self.index, query, deep, self.policy.min_chars)
        read = read_question(cleaned, self._today, self.index.lexical.idf, self.kin)
        answer: Answer | None = None
        why = "the question does not ask for a figure" if not read.wants_value else ""
        if read.wants_value:
            floor = support_floor(query, self.policy) - self.policy.claim_slack
            pool = [s for s in scored if s.score >= floor]
            alignment = align(read, pool, self.archive, self.policy.align)
            comparison = compare(read, alignment)
            if comparison.verdict is Verdict.SINGLE_SOURCE and ValueKind.NAME in read.kinds:
                # one source's name: another may name someone in words not tied to the question, so
                # "no other source names one" is not said; the best sentences are quoted instead
                why = "names were tied to the question in one source only"
            elif comparison.verdict is Verdict.QUOTED and alignment.subject_only:
                why = ("the sources whose values fit speak of the subject only: none holds "
                       + ", ".join(f'"{w}"' for w in alignment.subject_only) + "; the values are not compared")
            elif comparison.groups:
                answer = compose_checked_answer(query, comparison, passages)
            else:
                other_periods = sorted({c.claim.period_label for c in alignment.apart
                                        if c.apart is Apart.OTHER_PERIOD and c.context >= self.policy.align.min_context})
                if alignment.unheard:
                    answer = not_found(query, passages, f"no source speaks of {', '.join(alignment.unheard)}")
                elif read.period is not None and other_periods:
                    answer = not_found(query, passages, f"the sources give this figure for {', '.join(other_periods)}, "
                                                        f"not for {read.period.label}")
                why = "no source states a value that could be matched to the question"
        if answer is None:
            top = [s for s in scored if s.passage.rank <= k]
            answer = compose_answer(self.index, query, passages, self.policy, scored=top, why=why)
            if ValueKind.NAME in read.kinds and not chinese_names_available() and holds(self.index.lexical.idf, "zh"):
                answer.notes.append("names in Chinese text are not read without the optional tagger: "
                                    "pip install -e '.[names]'")
        answer.question_read = read
        return answer

    def audit(self, min_sources: int = 2, progress: bool = False) -> "AuditReport":
        """Every fact the sources disagree on, without a question: values that different sources
        state for the same fact (same subject, measure and period), compared as :meth:`ask`
        compares them, strongest disagreement first; and the facts ``min_sources`` or more sources
        agree on. ``progress`` shows progress bars on stderr. See :mod:`retriever.audit`."""
        from .audit import audit_index

        return audit_index(self._pinned().index, min_sources=min_sources, progress=progress)

    def _k(self, k: object) -> int:
        """``k`` checked: a whole number of passages from 1 to :data:`MAX_K` (None: the default)."""
        if k is None:
            return self.settings.k
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_K:
            raise QuestionError(f"k (passages to read) must be a whole number from 1 to {MAX_K}, not {str(k)[:20]!r}.")
        return int(k)

    def _off_topic(self, query, deep: list[Passage]) -> str:  # type: ignore[no-untyped-def]
        """Why a question is about something else than the corpus, or "" when it is not.

        Measured on the gold set and off-topic probes: no answerable question had its best passage
        below ``min_passage_similarity``, nor was far from the corpus centre while sharing no word
        with it (English questions about the articles name the company, a product or a figure).
        """
        best = max((p.dense_score for p in deep), default=0.0)
        if best < self.policy.min_passage_similarity:
            return f"no passage is close to the question (best similarity {best:.2f})"
        if self.index.centroid is not None and query.coverage == 0.0:
            topic = float(self.index.centroid @ query.vector)
            if topic < self.policy.min_topic_similarity:
                return f"the question shares no word with the articles and is far from their topic ({topic:.2f})"
        return ""

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

    def refresh(self) -> bool:
        """Load the index's current generation if another was published since (by ``factcheck
        add``, ``remove`` or ``index`` elsewhere); True when it did.

        Cheap when nothing changed (one short file read), so a server can call it before each
        answer. The old generation is released once the answers running on it finish.
        """
        directory = Path(self.index.directory)
        if current_generation(directory) in (None, self._generation, self._unreadable):
            return False
        with FactChecker._refresh_lock:
            name = current_generation(directory)
            if name in (None, self._generation, self._unreadable):
                return False  # another thread has just loaded it
            try:
                index = load_index(directory)
            except (FactCheckError, OSError) as exc:
                log.warning("keeping the loaded index: %s", exc)
                self._unreadable = name
                return False
            self._reload(index, "reloaded")
        return True

    def _reload(self, index: Index, status: str = "updated") -> None:
        fresh = FactChecker(index, self.embedder, self.settings, self.policy, status=status)
        # One assignment, after the new generation is complete: an answer running meanwhile keeps
        # the dict it started with (see _pinned), and state cached from the old index goes with it.
        self.__dict__ = fresh.__dict__

    def _pinned(self) -> "FactChecker":
        """A view of this checker that keeps the generation loaded now for one whole answer and
        shares what it caches (a refresh replaces ``__dict__`` whole, never its attributes one by one)."""
        view = object.__new__(type(self))
        view.__dict__ = self.__dict__
        return view

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
