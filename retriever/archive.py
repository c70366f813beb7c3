"""What the check reads from the index about the sources, read when first needed and remembered:
a sentence's claims, the sentence before it, a document's normalised text, and how alike two
documents are (the mean direction of their passages)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from index.claims import Claim, sentence_claims
from index.text import normalise
from index.values.names import read_names

if TYPE_CHECKING:
    from index.store import Index

    from .answer import ScoredSentence

#: sentences whose claims are remembered, and documents whose text or direction is
CLAIM_CACHE = 20000
DOC_CACHE = 512


class Archive:
    """The sources of one index, as the check reads them (implements :class:`retriever.check.Sources`)."""

    def __init__(self, index: "Index") -> None:
        self.index = index
        self._claims: dict[int, list[Claim]] = {}
        self._names: dict[int, list[Claim]] = {}
        self._texts: dict[str, str] = {}
        self._directions: dict[str, np.ndarray] = {}

    def claims_of(self, sentence: "ScoredSentence") -> list[Claim]:
        """The claims of one retrieved sentence."""
        found = self._claims.get(sentence.sentence_id)
        if found is None:
            s = self.index.sentences[sentence.sentence_id]
            date = self.index.documents.meta(s.doc_id).get("date")
            found = sentence_claims(s.doc_id, s.sentence_id, s.start, s.text, date, self.previous(s.sentence_id))
            if len(self._claims) >= CLAIM_CACHE:
                self._claims.clear()
            self._claims[sentence.sentence_id] = found
        return found

    def names_of(self, sentence: "ScoredSentence") -> list[Claim]:
        """The names one retrieved sentence states (:mod:`index.values.names`), as claims."""
        found = self._names.get(sentence.sentence_id)
        if found is None:
            s = self.index.sentences[sentence.sentence_id]
            date = self.index.documents.meta(s.doc_id).get("date")
            span = (s.start, s.start + len(s.text))
            found = [Claim(s.doc_id, s.sentence_id, v.shifted(s.start), span, span, doc_date=date)
                     for v in read_names(s.text)]
            if len(self._names) >= CLAIM_CACHE:
                self._names.clear()
            self._names[sentence.sentence_id] = found
        return found

    def previous(self, sentence_id: int) -> str:
        """The sentence before ``sentence_id`` in its document ("" for a first sentence)."""
        if sentence_id <= 0:
            return ""
        here, before = self.index.sentences[sentence_id], self.index.sentences[sentence_id - 1]
        return before.text if before.doc_id == here.doc_id else ""

    def document_text(self, doc_id: str) -> str:
        """A document's normalised text (to see whether it names the question's subject)."""
        found = self._texts.get(doc_id)
        if found is None:
            if len(self._texts) >= DOC_CACHE:
                self._texts.clear()
            found = self._texts[doc_id] = normalise(self.index.documents.text_of(doc_id))
        return found

    def document_similarity(self, a: str, b: str) -> float:
        """Cosine of the two documents' mean passage directions: two outlets' reports of one event
        are alike (~0.65 and up, measured), two paragraphs on different matters less so."""
        if a == b:
            return 1.0
        return float(self._direction(a) @ self._direction(b))

    def _direction(self, doc_id: str) -> np.ndarray:
        found = self._directions.get(doc_id)
        if found is None:
            ids = self.index.chunks.of_document(doc_id)
            if not ids.size:
                return np.zeros(self.index.dim, dtype=np.float32)
            mean = self.index.vectors.chunk_vectors(ids).mean(axis=0)
            norm = float(np.linalg.norm(mean))
            found = mean / norm if norm else mean
            if len(self._directions) >= DOC_CACHE:
                self._directions.clear()
            self._directions[doc_id] = found
        return found
