"""Documents → sentences and overlapping chunks, every piece with offsets into the original text."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Iterable

from .corpus import Document
from .text import sentence_spans

# Chinese sentence ends first, then clause marks, then anything: a chunk is cut
# at the strongest boundary that keeps it under the size.
SEPARATORS = ("\n", "。", "！", "？", "；", "!", "?", ";", "…", "，", ",", "、", " ", "")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a document: ``text == document.text[start:end]``."""

    sentence_id: int
    doc_id: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """A passage: a few sentences of one document, ``text == document.text[start:end]``.

    ``sentence_ids`` are the sentences that overlap the chunk, in order.
    """

    chunk_id: int
    doc_id: str
    start: int
    end: int
    text: str
    sentence_ids: tuple[int, ...]

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["sentence_ids"] = list(self.sentence_ids)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "Chunk":
        data = dict(data)
        data["sentence_ids"] = tuple(data["sentence_ids"])  # type: ignore[arg-type]
        return cls(**data)  # type: ignore[arg-type]


@lru_cache(maxsize=8)
def _splitter(size: int, overlap: int):  # type: ignore[no-untyped-def]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        separators=list(SEPARATORS),
        keep_separator="end",
        chunk_size=size,
        chunk_overlap=overlap,
        strip_whitespace=True,
    )


def split_document(doc: Document, size: int, overlap: int) -> list[tuple[int, int]]:
    """Chunk spans ``(start, end)`` of one document's content blocks."""
    splitter = _splitter(size, overlap)
    spans: list[tuple[int, int]] = []
    for block_start, block_end in doc.content_spans:
        block = doc.text[block_start:block_end]
        prev_start, prev_end = -1, 0
        for piece in splitter.split_text(block):
            # Pieces come in order and overlap by at most ``overlap`` characters:
            # the next one starts after the previous start and no earlier than
            # its end less the overlap. Searching only there keeps repeated
            # paragraphs apart.
            at = block.find(piece, max(prev_start + 1, prev_end - overlap - 1))
            if at < 0:
                at = block.find(piece, prev_start + 1)
            if at < 0:  # cannot happen with strip_whitespace on plain text
                continue
            spans.append((block_start + at, block_start + at + len(piece)))
            prev_start, prev_end = at, at + len(piece)
    return spans


def chunk_documents(
    documents: Iterable[Document], size: int, overlap: int, first_sentence_id: int = 0, first_chunk_id: int = 0
) -> tuple[list[Chunk], list[Sentence]]:
    """Split documents into chunks and sentences with global, consecutive ids."""
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    sid, cid = first_sentence_id, first_chunk_id
    for doc in documents:
        doc_sentences: list[Sentence] = []
        for block_start, block_end in doc.content_spans:
            for start, end in sentence_spans(doc.text, block_start, block_end):
                doc_sentences.append(Sentence(sid, doc.doc_id, start, end, doc.text[start:end]))
                sid += 1
        sentences.extend(doc_sentences)
        for start, end in split_document(doc, size, overlap):
            inside = tuple(s.sentence_id for s in doc_sentences if s.start < end and s.end > start)
            chunks.append(Chunk(cid, doc.doc_id, start, end, doc.text[start:end], inside))
            cid += 1
    return chunks, sentences
