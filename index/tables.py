"""The index's documents, chunks and sentences as columns, with text read on demand.

An index stores its documents' metadata (``documents.jsonl``, without text), their texts in one
UTF-8 file (``texts.bin``, memory-mapped) and the chunks and sentences as integer arrays of
``(document, start, end, ...)`` (``chunks.npy``, ``sentence_spans.npy``, memory-mapped). Loading
parses no text and builds no object per chunk or sentence; a :class:`Chunk`, :class:`Sentence`
or :class:`Document` is made when it is asked for, its text sliced from the document's.

The tables read like the lists and dict they replace (``index.chunks[i].text``,
``index.documents[doc_id]``, ``len(index.sentences)``), so the code that reads an index does
not know how it is stored.
"""

from __future__ import annotations

import json
import mmap
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence, TypeVar, overload

import numpy as np

from .chunks import Chunk, Sentence
from .corpus import Document

T = TypeVar("T")

DOCUMENTS_FILE = "documents.jsonl"
TEXTS_FILE = "texts.bin"
CHUNKS_FILE = "chunks.npy"
SENTENCES_FILE = "sentence_spans.npy"
#: decoded document texts kept for the next question (an answer reads a few documents)
TEXT_CACHE = 256



class DocumentTable(Mapping[str, Document]):
    """``doc_id → Document`` over stored metadata and a UTF-8 blob of the texts."""

    def __init__(self, metas: list[dict[str, Any]], texts: bytes | mmap.mmap, spans: np.ndarray) -> None:
        self._metas = metas
        self._texts = texts
        self._spans = spans  # (n, 2) byte offsets of each text in ``texts``
        self.ids: list[str] = [str(m["doc_id"]) for m in metas]
        self._position = {doc_id: i for i, doc_id in enumerate(self.ids)}
        self._decoded: OrderedDict[int, str] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def of(cls, documents: Iterable[Document]) -> "DocumentTable":
        """A table of documents held in memory (a fresh build)."""
        metas, blobs, spans, at = [], [], [], 0
        for doc in documents:
            data = doc.text.encode("utf-8", "surrogatepass")
            metas.append(_meta(doc))
            blobs.append(data)
            spans.append((at, at + len(data)))
            at += len(data)
        return cls(metas, b"".join(blobs), np.asarray(spans, dtype=np.int64).reshape(-1, 2))

    @classmethod
    def merged(cls, old: "DocumentTable", keep: Sequence[int], new: Iterable[Document]) -> "DocumentTable":
        """The documents of ``old`` at positions ``keep`` (their texts copied as bytes, not
        decoded), then ``new``."""
        added = cls.of(new)
        metas, blobs, spans, at = [], [], [], 0
        for table, positions in ((old, [int(i) for i in keep]), (added, range(len(added)))):
            for i in positions:
                start, end = (int(x) for x in table._spans[i])
                blobs.append(bytes(table._texts[start:end]))
                metas.append(table._metas[i])
                spans.append((at, at + end - start))
                at += end - start
        return cls(metas, b"".join(blobs), np.asarray(spans, dtype=np.int64).reshape(-1, 2))

    # -- the mapping
    def __getitem__(self, doc_id: str) -> Document:
        i = self._position[doc_id]
        return Document.from_dict({**self._metas[i], "text": self.text_at(i)})

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._position

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    # -- without building documents
    def index_of(self, doc_id: str) -> int:
        return self._position[doc_id]

    def text_at(self, i: int) -> str:
        """The text of the ``i``-th document (decoded once, then remembered for a while; safe to
        call from the chat's concurrent requests)."""
        with self._lock:
            found = self._decoded.get(i)
            if found is not None:
                self._decoded.move_to_end(i)
                return found
        start, end = (int(x) for x in self._spans[i])
        found = bytes(self._texts[start:end]).decode("utf-8", "surrogatepass")
        with self._lock:
            self._decoded[i] = found
            while len(self._decoded) > TEXT_CACHE:
                self._decoded.popitem(last=False)
        return found

    def text_of(self, doc_id: str) -> str:
        """A document's text, without building its :class:`Document` (for hot paths)."""
        return self.text_at(self._position[doc_id])

    def meta(self, doc_id: str) -> dict[str, Any]:
        """A document's stored fields, without its text."""
        return self._metas[self._position[doc_id]]

    def metas(self) -> list[dict[str, Any]]:
        return self._metas

    # -- storage
    def write(self, directory: Path, write_bytes) -> None:  # type: ignore[no-untyped-def]
        rows = (json.dumps({**m, "text_bytes": [int(a), int(b)]}, ensure_ascii=False) + "\n"
                for m, (a, b) in zip(self._metas, self._spans))
        write_bytes(directory / DOCUMENTS_FILE, "".join(rows).encode("utf-8"))
        write_bytes(directory / TEXTS_FILE, bytes(self._texts) if isinstance(self._texts, mmap.mmap) else self._texts)

    @classmethod
    def read(cls, directory: Path) -> "DocumentTable":
        metas, spans = [], []
        with open(directory / DOCUMENTS_FILE, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    spans.append(row.pop("text_bytes"))
                    metas.append(row)
        return cls(metas, _map(directory / TEXTS_FILE), np.asarray(spans, dtype=np.int64).reshape(-1, 2))


def _meta(doc: Document) -> dict[str, Any]:
    data = doc.to_dict()
    data.pop("text")
    return data


def _map(path: Path) -> bytes | mmap.mmap:
    with open(path, "rb") as handle:
        if not handle.seek(0, 2):
            return b""  # an empty file cannot be mapped
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


class _RowTable(Sequence[T]):
    """Items stored as int32 rows whose first column is the document's position; an item is made
    from its row when asked for (:meth:`_item`)."""

    def __init__(self, rows: np.ndarray, documents: DocumentTable) -> None:
        self.rows = rows
        self.documents = documents

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        return self._item(i, [int(x) for x in self.rows[i]])

    def __iter__(self) -> Iterator[T]:
        return (self[i] for i in range(len(self)))

    def _item(self, i: int, row: list[int]) -> T:
        raise NotImplementedError


class ChunkTable(_RowTable[Chunk]):
    """Chunks as rows of ``(document, start, end, first sentence, sentence count)``."""

    @classmethod
    def of(cls, chunks: Sequence[Chunk], documents: DocumentTable) -> "ChunkTable":
        rows = np.zeros((len(chunks), 5), dtype=np.int32)
        for i, c in enumerate(chunks):
            ids = c.sentence_ids
            if ids and list(ids) != list(range(ids[0], ids[0] + len(ids))):
                raise ValueError(f"chunk {c.chunk_id}: its sentences are not consecutive")
            rows[i] = (documents.index_of(c.doc_id), c.start, c.end, ids[0] if ids else 0, len(ids))
        return cls(rows, documents)

    def _item(self, i: int, row: list[int]) -> Chunk:
        d, start, end, first, count = row
        return Chunk(i, self.documents.ids[d], start, end, self.documents.text_at(d)[start:end],
                     tuple(range(first, first + count)))

    def of_document(self, doc_id: str) -> np.ndarray:
        """The ids of one document's chunks (stored together, in order)."""
        column = self.rows[:, 0]
        d = self.documents.index_of(doc_id)
        lo, hi = np.searchsorted(column, d, "left"), np.searchsorted(column, d, "right")
        return np.arange(lo, hi, dtype=np.int64)


class SentenceTable(_RowTable[Sentence]):
    """Sentences as rows of ``(document, start, end)``."""

    @classmethod
    def of(cls, sentences: Sequence[Sentence], documents: DocumentTable) -> "SentenceTable":
        rows = np.zeros((len(sentences), 3), dtype=np.int32)
        for i, s in enumerate(sentences):
            rows[i] = (documents.index_of(s.doc_id), s.start, s.end)
        return cls(rows, documents)

    def _item(self, i: int, row: list[int]) -> Sentence:
        d, start, end = row
        return Sentence(i, self.documents.ids[d], start, end, self.documents.text_at(d)[start:end])


def write_rows(path: Path, rows: np.ndarray, write_bytes) -> None:  # type: ignore[no-untyped-def]
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(rows, dtype=np.int32), allow_pickle=False)
    write_bytes(path, buffer.getbuffer())


#: numpy reads an .npy header with ast.literal_eval, which CPython 3.11 cannot run in two threads
#: at once ("AST constructor recursion depth mismatch"): two readers loading a new generation.
#: Held by every reader of .npy files, ours and the libraries' (bm25s: :mod:`index.lexical`).
NPY_LOCK = threading.Lock()


def load_array(path: Path | str, mmap_mode: str | None = "r") -> np.ndarray:
    """An .npy array (memory-mapped by default), never a pickle; safe to call from several threads."""
    with NPY_LOCK:
        return np.load(path, allow_pickle=False, mmap_mode=mmap_mode)


def read_rows(path: Path, columns: int) -> np.ndarray:
    rows = load_array(path)
    if rows.ndim != 2 or rows.shape[1] != columns or rows.dtype != np.int32:
        raise ValueError(f"{path.name} holds {rows.shape} {rows.dtype}, not rows of {columns} int32")
    return rows


__all__ = ["CHUNKS_FILE", "DOCUMENTS_FILE", "SENTENCES_FILE", "TEXTS_FILE", "ChunkTable", "DocumentTable",
           "SentenceTable", "read_rows", "write_rows"]
