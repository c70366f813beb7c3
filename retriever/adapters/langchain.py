"""LangChain: the archive as a ``langchain_core`` retriever (``pip install -e '.[langchain]'``).

Each passage becomes a ``Document`` whose ``page_content`` is the passage text in its original
script and whose ``metadata`` is the rest of :meth:`~retriever.search.Passage.to_dict` (doc id,
span, scores, sentences, source)::

    >>> from retriever import FactChecker
    >>> from retriever.adapters.langchain import FactCheckRetriever
    >>> retriever = FactCheckRetriever(checker=FactChecker.load(index_dir="~/articles-index"), k=3)
    >>> doc = retriever.invoke("How many people died in the flood?")[0]
    >>> doc.metadata["doc_id"], doc.metadata["span"]
    ('river-herald-0712', [1204, 1388])
    >>> retriever.check("How many people died in the flood?")["verdict"]
    'conflict'
"""

from __future__ import annotations

from typing import Any, Sequence

from index.errors import ExtraNotInstalledError
from index.text import one_line

from ..factchecker import FactChecker
from ..search import Mode, Passage

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as exc:
    raise ExtraNotInstalledError(
        "The LangChain adapter needs langchain-core, which is not installed. "
        "From a checkout of this project: pip install -e '.[langchain]'"
    ) from exc

__all__ = ["FactCheckRetriever", "format_docs", "to_document"]


def to_document(passage: Passage) -> Document:
    """A passage as a ``Document``: its text, and everything else :meth:`Passage.to_dict` says as metadata."""
    metadata = passage.to_dict()
    text = metadata.pop("text")
    return Document(page_content=text, metadata=metadata, id=f"{passage.doc_id}#{passage.chunk_id}")


def format_docs(docs: Sequence[Document]) -> str:
    """Documents as numbered blocks for a prompt, each headed by its citation:
    ``[1] doc_id chars start-end · publisher · date`` and then the passage text."""
    blocks = []
    for n, doc in enumerate(docs, 1):
        meta = doc.metadata
        start, end = meta["span"]
        source = meta.get("source") or {}
        parts = [f"{meta['doc_id']} chars {start}-{end}", source.get("publisher"), source.get("date")]
        blocks.append(f"[{n}] {one_line(' · '.join(str(p) for p in parts if p))}\n{doc.page_content}")
    return "\n\n".join(blocks)


class FactCheckRetriever(BaseRetriever):
    """The ``k`` best passages of a :class:`~retriever.FactChecker` for a question, as ``Document``s.

    Args:
        checker: an open checker, e.g. ``FactChecker.load(index_dir=...)``.
        k: passages per question, 1 to 100.
        mode: ``"hybrid"`` (default), ``"dense"`` or ``"lexical"``.

    A bad question (empty, symbols only, too long) raises :class:`~retriever.QuestionError`.
    """

    checker: FactChecker
    k: int = 5
    mode: Mode = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [to_document(p) for p in self.checker.search(query, k=self.k, mode=self.mode)]

    def check(self, question: str) -> dict[str, Any]:
        """The checked answer's JSON, ``checker.ask(question, k).to_dict()``: verdict, answer text,
        values and their sources (``check``), citations with their spans, passages."""
        return self.checker.ask(question, k=self.k).to_dict()
