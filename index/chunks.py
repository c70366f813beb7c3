"""Documents → sentences and overlapping chunks, every piece with offsets into the original text."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

from .corpus import Document
from .text import has_cjk, sentence_spans



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


#: Latin-script text carries about this many times fewer facts per character than Chinese: its
#: chunks are this much longer, so a chunk holds a few sentences in either language.
LATIN_SIZE_FACTOR = 2.5


def pack_sentences(spans: list[tuple[int, int]], size: int, overlap: int) -> list[tuple[int, int]]:
    """Chunks of whole sentences: consecutive sentences up to ``size`` characters, each chunk
    starting with the last sentences of the previous one (up to ``overlap`` characters).

    A chunk never ends inside a sentence (nor, therefore, inside a number); a sentence longer
    than ``size`` is a chunk of its own. Linear in the number of sentences.
    """
    chunks: list[tuple[int, int]] = []
    first = 0
    n = len(spans)
    while first < n:
        last = first
        while last + 1 < n and spans[last + 1][1] - spans[first][0] <= size:
            last += 1
        chunks.append((spans[first][0], spans[last][1]))
        if last + 1 >= n:
            break
        # the next chunk repeats the tail of this one that fits in ``overlap``, and moves on by at least one
        nxt = last + 1
        while nxt - 1 > first and spans[last][1] - spans[nxt - 1][0] <= overlap:
            nxt -= 1
        first = nxt
    return chunks


def chunk_documents(
    documents: Iterable[Document], size: int, overlap: int, first_sentence_id: int = 0, first_chunk_id: int = 0
) -> tuple[list[Chunk], list[Sentence]]:
    """Split documents into sentences and chunks of whole sentences, with global, consecutive ids.

    ``size`` and ``overlap`` are in characters of Chinese text; a Latin-script document's are
    :data:`LATIN_SIZE_FACTOR` times larger.
    """
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    sid, cid = first_sentence_id, first_chunk_id
    for doc in documents:
        factor = 1.0 if has_cjk(doc.text[:4000]) else LATIN_SIZE_FACTOR
        doc_size, doc_overlap = int(size * factor), int(overlap * factor)
        for block_start, block_end in doc.content_spans:
            spans = list(sentence_spans(doc.text, block_start, block_end))
            ids = list(range(sid, sid + len(spans)))
            for (start, end), i in zip(spans, ids):
                sentences.append(Sentence(i, doc.doc_id, start, end, doc.text[start:end]))
            sid += len(spans)
            # sentences of a chunk: a moving window over the block's sentences, linear overall
            at = 0
            for start, end in pack_sentences(spans, doc_size, doc_overlap):
                while spans[at][0] < start:
                    at += 1
                stop = at
                while stop < len(spans) and spans[stop][1] <= end:
                    stop += 1
                chunks.append(Chunk(cid, doc.doc_id, start, end, doc.text[start:end], tuple(ids[at:stop])))
                cid += 1
    return chunks, sentences
