"""Building, saving and loading an index directory.

Layout of ``index_dir``::

    CURRENT            name of the generation readers use (replaced atomically)
    gen-<id>/          one complete index
        manifest.json  format, embedder, chunker, corpus hashes, counts, file checksums
        documents.jsonl the documents' metadata; texts.bin their texts (UTF-8, memory-mapped)
        chunks.npy sentence_spans.npy  chunks and sentences as int32 rows (:mod:`index.tables`)
        tokens.jsonl   each chunk's lexical terms (an update rebuilds BM25 from them)
        dense.faiss    chunk vectors (inner product on unit vectors = cosine)
        sentences.npy  sentence vectors (float16, memory-mapped), for the sentences an answer quotes
        centroid.npy   the chunks' mean direction (what the corpus is about)
        bm25/ idf.json the lexical index

A build streams: documents are chunked, tokenized and embedded in batches; sentence vectors go
to their file and chunk vectors to a file in the staging folder as they come, so memory holds one
batch of vectors. The BM25 weights are computed next and written; only then is the FAISS index
built, from the chunk vectors' file (which is removed), so the two largest things a build makes
are never in memory together.
A build writes a new generation beside the old one and then swaps ``CURRENT``
with :func:`os.replace`, so a reader sees either the old index or the new
one, never half of one, and a crash mid-build leaves the old index usable.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple

import numpy as np

from .chunks import LATIN_SIZE_FACTOR, chunk_documents
from .config import Settings, default_index_dir
from .corpus import METADATA_FILE, Document, Problem, corpus_files, hash_file, read_corpus
from .embedders import Embedder, load_embedder
from .errors import (
    CorpusError,
    FactCheckError,
    IndexCorruptError,
    IndexNotFoundError,
    IndexStaleError,
    IndexWriteError,
)
from .lexical import IDF_FILE, LexicalIndex
from .tables import (
    CHUNKS_FILE,
    DOCUMENTS_FILE,
    SENTENCES_FILE,
    ChunkTable,
    DocumentTable,
    SentenceTable,
    load_array,
    read_rows,
    write_rows,
)
from .text import lexical_terms
from .vectors import LocalVectors, Vectors

log = logging.getLogger(__name__)

FORMAT_VERSION = 5
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
TOKENS_FILE = "tokens.jsonl"
CENTROID_FILE = "centroid.npy"
NORMALISER = "opencc-t2s+halfwidth+lower+jieba-0.42"
# Modules whose code shapes what an index holds: a change to any of them
# (a new release of this package, say) makes existing indexes out of date.
_SHAPING_MODULES = ("text.py", "corpus.py", "chunks.py", "lexical.py")


def code_version() -> str:
    """A digest of the code that decides chunks and tokens.

    Values and claims are read from sentences at question time, so a change to how values are
    read (or a word added to the vocabulary) needs no rebuild.
    """
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in _SHAPING_MODULES:
        digest.update((here / name).read_bytes())
    from .values.lexicon import lexicon

    english = lexicon("en")  # its abbreviations decide where English sentences end
    digest.update(repr((sorted(english.abbreviations), sorted(english.final_abbreviations))).encode())
    return digest.hexdigest()[:16]


@dataclass
class Index:
    """A loaded index: everything search and answers need. The tables read text on demand
    (:mod:`index.tables`); vectors are memory-mapped or in FAISS, or in Milvus (:mod:`index.milvus`),
    and search reads them through :attr:`vectors` either way."""

    directory: Path
    manifest: dict[str, Any]
    documents: DocumentTable
    chunks: ChunkTable
    sentences: SentenceTable
    dense: Any  # faiss.Index; None when the vectors live in Milvus
    sentence_vectors: np.ndarray | None  # memory-mapped float16; None when in Milvus
    lexical: LexicalIndex  # with a Milvus backend, its vocabulary only
    centroid: np.ndarray | None = None  # the mean direction of the chunks (what the corpus is about)
    vectors: Vectors = None  # type: ignore[assignment]  # where search reads vectors; the local files unless given

    def __post_init__(self) -> None:
        if self.vectors is None:
            self.vectors = LocalVectors(self)

    @property
    def embedder_name(self) -> str:
        return str(self.manifest["embedder"]["name"])

    @property
    def dim(self) -> int:
        return int(self.manifest["embedder"]["dim"])


# --------------------------------------------------------------------------- build


def build_index(
    settings: Settings,
    embedder: Embedder | None = None,
    progress: bool = True,
) -> tuple[Index, list[Problem]]:
    """Build an index of ``settings.corpus_dir`` into ``settings.index_dir``.

    Returns the loaded index and the corpus files that were left out.
    """
    started = time.perf_counter()
    directory = Path(settings.index_dir)
    # The lock covers the whole build, from reading the corpus to publishing: an add or remove
    # waits for it instead of changing the corpus under it.
    with _build_lock(directory):
        index, problems = _build(settings, directory, embedder, progress, started)
    changed = stale_reasons(index.manifest)
    if changed:  # edited by hand while it was read: the index records what it read, so it is stale
        log.warning("the corpus changed during the build (%s); the index will be rebuilt when next used",
                    "; ".join(changed))
    return index, problems


#: texts embedded at a time while building: memory holds one batch of vectors, never the corpus'
EMBED_BATCH = 4096


def _build(settings: Settings, directory: Path, embedder: Embedder | None, progress: bool,
           started: float) -> tuple[Index, list[Problem]]:
    """Read, chunk, tokenize and embed the corpus in batches of documents, streaming sentence and
    chunk vectors to their files; then compute the BM25 weights, write them, build the dense index
    from the chunk vectors' file, write the rest and publish.

    What the build holds at once is kept small: the documents' texts go to the generation (and are
    memory-mapped back) before the streaming, the chunks' term ids go to ``tokens.jsonl`` and the
    BM25 weights to ``bm25/`` (read back memory-mapped) before the dense index is built, so the
    dense index (at 1M chunks, 2.2 GB in HNSW) is never beside the BM25 step's arrays.
    """
    timings = {"load": 0.0, "chunk": 0.0, "embed": 0.0, "index": 0.0}
    t = time.perf_counter()
    corpus = read_corpus(settings.corpus_dir)
    documents, problems = corpus.documents, corpus.problems
    timings["load"] = time.perf_counter() - t
    given = embedder
    if embedder is None:
        embedder = load_embedder(settings.embedder, settings.threads)
    elif embedder.name != settings.embedder:
        raise ValueError(f"embedder {embedder.name!r} given for settings asking {settings.embedder!r}")
    manifest = {
        "format_version": FORMAT_VERSION,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "embedder": {"name": embedder.name, "dim": embedder.dim},
        "chunker": {"size": settings.chunk_size, "overlap": settings.chunk_overlap, "splitter": "whole sentences", "latin_factor": LATIN_SIZE_FACTOR},
        "normaliser": NORMALISER,
        "code_version": code_version(),
        # the files as they were read, not as they are now: a change during the build shows as stale
        "corpus": {"dir": str(Path(settings.corpus_dir).resolve()), "files": corpus.hashes},
        "skipped": [{"path": p.path, "reason": p.reason} for p in problems],
        "backend": backend_record(settings),
        "dense_index": dense_layout(settings, estimate_chunks(documents, settings)),
    }
    batches = list(_batches(documents))
    workers = settings.workers if given is None and len(batches) > 1 else 1
    with _staging(directory) as stage:
        table = _on_disk(DocumentTable.of(documents), stage)
        with dropped_on_failure(open_writer(manifest, stage, embedder.dim, table.ids, settings)) as writer:
            manifest["workers"] = workers
            streamed = _stream(batches, table, embedder, workers, settings, writer, timings,
                               progress=progress, total_documents=len(documents))
            n_documents = len(documents)
            del corpus, documents, batches  # their texts are in the table, on disk
            t = time.perf_counter()
            lexical = writer.settle(LexicalIndex.from_ids(streamed.chunk_ids, streamed.vocabulary))
            _write_tokens(stage, streamed.chunk_ids, streamed.vocabulary)  # an update rebuilds BM25 from them
            chunks_table = ChunkTable(_stacked(streamed.chunk_rows, 5), table)
            sentences_table = SentenceTable(_stacked(streamed.sentence_rows, 3), table)
            centroid = centroid_of(streamed.chunk_sum[None, :])
            del streamed  # the term ids, the vocabulary and the rows by batch
            _return_freed_memory()
            stored = writer.finish(lexical, len(sentences_table))
            del lexical
            timings["index"] += time.perf_counter() - t
            manifest["counts"] = {"documents": n_documents, "chunks": len(chunks_table), "sentences": len(sentences_table)}
            index = Index(directory, manifest, table, chunks_table, sentences_table, stored.dense,
                          stored.sentence_vectors, stored.lexical, centroid, stored.vectors)
            t = time.perf_counter()
            generation, index.manifest = _write_generation(index, None, timings, started, stage=stage)
            _publish(directory, generation)
            timings["write"] = time.perf_counter() - t
    _drop_unused_collections(directory, index.manifest, settings)
    log.info("built index %s in %.1fs (%s)", directory, time.perf_counter() - started, timings)
    if index.sentence_vectors is not None:
        index.sentence_vectors = load_array(directory / generation / "sentences.npy")
    return index, problems


@dataclass
class _Streamed:
    """What a build keeps of the corpus once it has streamed through: the rows of its chunks and
    sentences, each chunk's lexical terms as ids of ``vocabulary``, and the sum of the chunk vectors."""

    chunk_rows: list[np.ndarray]
    sentence_rows: list[np.ndarray]
    chunk_ids: list[np.ndarray]
    vocabulary: dict[str, int]
    chunk_sum: np.ndarray


def _stream(batches: list[list[Document]], table: DocumentTable, embedder: Embedder, workers: int,
            settings: Settings, writer: "_LocalWriter | _MilvusWriter", timings: dict[str, float],
            progress: bool, total_documents: int) -> _Streamed:
    """Chunk, tokenize and embed the corpus batch by batch, handing each batch's vectors to
    ``writer`` in order (embedded here, or by ``workers`` processes while the next batch is
    chunked; the processes end with the streaming)."""
    streamed = _Streamed([], [], [], {}, np.zeros(embedder.dim, dtype=np.float64))
    vocabulary = streamed.vocabulary
    first_sentence = first_chunk = 0

    def store(n_chunks: int, n_docs: int, rows: tuple[np.ndarray, np.ndarray], vectors: np.ndarray) -> None:
        t = time.perf_counter()
        writer.add(rows[0], vectors[:n_chunks], rows[1], vectors[n_chunks:])
        streamed.chunk_sum[:] += vectors[:n_chunks].sum(axis=0, dtype=np.float64)
        timings["index"] += time.perf_counter() - t
        if tick:
            tick(n_docs)

    with _Embedding(embedder, workers, settings.threads) as embedding, \
            _progress_bar(total_documents, f"indexing with {embedder.name}", progress, unit="document") as tick:
        for batch in batches:
            t = time.perf_counter()
            chunks, sentences = chunk_documents(batch, settings.chunk_size, settings.chunk_overlap,
                                                first_sentence_id=first_sentence, first_chunk_id=first_chunk)
            first_sentence += len(sentences)
            first_chunk += len(chunks)
            streamed.chunk_ids.extend(np.fromiter((vocabulary.setdefault(term, len(vocabulary))
                                                   for term in lexical_terms(c.text)), dtype=np.int32) for c in chunks)
            streamed.chunk_rows.append(ChunkTable.of(chunks, table).rows)
            streamed.sentence_rows.append(SentenceTable.of(sentences, table).rows)
            timings["chunk"] += time.perf_counter() - t
            # embedded here, or by the workers while the next batch is chunked; stored in order
            for done in embedding.submit([c.text for c in chunks] + [x.text for x in sentences],
                                         (len(chunks), len(batch), (streamed.chunk_rows[-1], streamed.sentence_rows[-1]))):
                store(*done)
        for done in embedding.drain():
            store(*done)
    timings["embed"] = embedding.seconds
    return streamed


def _return_freed_memory() -> None:
    """Give the memory freed so far back to the system. What a build frees before its dense index
    (the texts, the term ids: millions of small blocks) stays in the C library's heap, where the
    dense index's large allocations, mapped apart, never reuse it; glibc's ``malloc_trim`` releases
    its free pages (at 1M chunks, ~0.45 GB). Elsewhere there is nothing to do."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _on_disk(table: DocumentTable, stage: Path) -> DocumentTable:
    """``table`` written into the generation being staged, and read back from there (its texts
    memory-mapped: a build does not hold the corpus' texts twice)."""
    table.write(stage, _write_bytes)
    return DocumentTable.read(stage)


def _write_tokens(stage: Path, chunk_ids: list[np.ndarray], vocabulary: dict[str, int]) -> None:
    """Each chunk's lexical terms, a line each (so adding a document does not re-tokenize the rest)."""
    terms = [""] * len(vocabulary)
    for term, n in vocabulary.items():
        terms[n] = term
    _write_jsonl(stage / TOKENS_FILE, ([terms[n] for n in ids.tolist()] for ids in chunk_ids))


class _Embedding:
    """Batches of texts embedded in order: in this process, or by ``workers`` processes (each
    with its own copy of the model) while this one chunks and tokenizes the next batches. At most
    two batches per worker are in flight, so memory stays bounded."""

    def __init__(self, embedder: Embedder, workers: int, threads: int) -> None:
        self.embedder, self.workers, self.threads = embedder, max(1, workers), threads
        self.seconds = 0.0
        self._pending: list[tuple[Any, tuple[int, int]]] = []
        self._pool: Any = None

    def __enter__(self) -> "_Embedding":
        if self.workers > 1:
            import concurrent.futures
            import multiprocessing

            self._pool = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_start, initargs=(self.embedder.name, self.threads))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, texts: list[str], tag: tuple[int, int]) -> Iterator[tuple[int, int, np.ndarray]]:
        """Embed ``texts``; yield ``(*tag, vectors)`` of the batches finished, oldest first."""
        if self._pool is None:
            t = time.perf_counter()
            vectors = self.embedder.embed_passages(texts)
            self.seconds += time.perf_counter() - t
            yield (*tag, vectors)
            return
        self._pending.append((self._pool.submit(_worker_embed, texts), tag))
        while len(self._pending) > 2 * self.workers or (self._pending and self._pending[0][0].done()):
            yield self._next()

    def drain(self) -> Iterator[tuple[int, int, np.ndarray]]:
        while self._pending:
            yield self._next()

    def _next(self) -> tuple[int, int, np.ndarray]:
        future, tag = self._pending.pop(0)
        t = time.perf_counter()
        vectors = future.result()
        self.seconds += time.perf_counter() - t  # time waited for the workers
        return (*tag, vectors)


_worker_embedder: Embedder | None = None


def _worker_start(name: str, threads: int) -> None:
    global _worker_embedder
    _worker_embedder = load_embedder(name, threads)


def _worker_embed(texts: list[str]) -> np.ndarray:
    assert _worker_embedder is not None
    return _worker_embedder.embed_passages(texts)


def _stacked(parts: list[np.ndarray], width: int) -> np.ndarray:
    """The rows of every batch, as one array."""
    return np.vstack(parts) if parts else np.zeros((0, width), np.int32)


def _batches(documents: list[Document]) -> Iterator[list[Document]]:
    """Documents in groups of about :data:`EMBED_BATCH` texts (chunks and sentences), estimated
    from their length so the chunker runs once."""
    batch: list[Document] = []
    weight = 0
    for doc in documents:
        batch.append(doc)
        weight += 1 + len(doc.text) // 40  # ~a sentence per 40 characters, a chunk per ~4 sentences
        if weight >= EMBED_BATCH:
            yield batch
            batch, weight = [], 0
    if batch:
        yield batch


def centroid_of(vectors: np.ndarray) -> np.ndarray | None:
    """The unit mean direction of the chunk vectors (None for an empty index)."""
    if not len(vectors):
        return None
    mean = np.asarray(vectors, dtype=np.float64).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm else None


def _dense_index(dim: int, threads: int, layout: dict[str, Any]):  # type: ignore[no-untyped-def]
    """An empty FAISS index of the ``layout`` :func:`dense_layout` chose (inner product)."""
    import faiss

    faiss.omp_set_num_threads(max(1, threads))
    if layout.get("kind") != "hnsw":
        return faiss.IndexFlatIP(dim)
    dense = faiss.IndexHNSWFlat(dim, int(layout["M"]), faiss.METRIC_INNER_PRODUCT)
    dense.hnsw.efConstruction = int(layout["ef_construction"])
    dense.hnsw.efSearch = int(layout["ef_search"])
    return dense


def dense_layout(settings: Settings, chunks: int) -> dict[str, Any]:
    """How chunk vectors are searched, as the manifest records it: exact, or HNSW for a corpus of
    ``settings.hnsw_from`` chunks or more when ``settings.dense_index`` is ``auto``."""
    kind = settings.dense_index
    if kind not in ("auto", "flat", "hnsw"):
        raise FactCheckError(f"Unknown dense index {kind!r}: use auto, flat or hnsw.")
    if kind == "auto":
        kind = "hnsw" if chunks >= settings.hnsw_from else "flat"
    if kind == "flat":
        return {"kind": "flat"}
    return {"kind": "hnsw", "M": settings.hnsw_m, "ef_construction": settings.hnsw_ef_construction,
            "ef_search": max(settings.hnsw_ef_search, settings.candidates)}


def estimate_chunks(documents: list[Document], settings: Settings) -> int:
    """About how many chunks a corpus makes, from its length, before chunking it (the dense index
    is filled while the corpus streams through, so its kind is picked first)."""
    step = max(1, settings.chunk_size - settings.chunk_overlap)
    return sum(1 + len(doc.text) // step for doc in documents)


@contextlib.contextmanager
def _progress_bar(total: int, label: str, show: bool, unit: str = "text") -> Iterator[Any]:
    if not show:
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=label, unit=unit, leave=False, dynamic_ncols=True) as bar:
        yield bar.update


@contextlib.contextmanager
def _staging(directory: Path) -> Iterator[Path]:
    """A folder for a generation being written (``.tmp-gen-…``): renamed into place by
    :func:`_write_generation`, removed if anything fails before."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{os.urandom(3).hex()}"
    tmp = directory / f".tmp-{name}"
    tmp.mkdir()
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _write_generation(index: Index, tokens: Iterable[list[str]] | None, timings: dict[str, float],
                      started: float, stage: Path) -> tuple[str, dict[str, Any]]:
    """Write ``index`` as the generation being staged in ``stage`` (its vectors already went
    there or to Milvus, through :func:`open_writer`), rename it into place; return its name and
    the manifest written (with file checksums).

    What a build already wrote into ``stage`` to have it out of memory (the documents, the BM25
    weights; ``tokens`` None: the chunks' terms) is not written again: those files are what the
    index's tables and lexical index are reading, memory-mapped.
    """
    import faiss

    tmp = stage
    name = tmp.name.removeprefix(".tmp-")
    if not (tmp / DOCUMENTS_FILE).exists():
        index.documents.write(tmp, _write_bytes)
    write_rows(tmp / CHUNKS_FILE, index.chunks.rows, _write_bytes)
    write_rows(tmp / SENTENCES_FILE, index.sentences.rows, _write_bytes)
    if tokens is not None:
        _write_jsonl(tmp / TOKENS_FILE, tokens)  # so adding a document does not re-tokenize the rest
    # Streamed through our own file writes, so a full disk is an OSError naming ENOSPC (faiss
    # reports its own write errors as RuntimeError), and no copy of the index is made in memory
    # (at 1M chunks a serialised copy took 2.2 GB, twice).
    if index.dense is not None:
        _write_streamed(tmp / "dense.faiss", lambda write: faiss.write_index(index.dense, faiss.PyCallbackIOWriter(write)))
    if index.centroid is not None:
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(index.centroid, dtype=np.float32), allow_pickle=False)
        _write_bytes(tmp / CENTROID_FILE, buffer.getbuffer())
    if not (tmp / IDF_FILE).exists():
        index.lexical.save(tmp)
    manifest = dict(index.manifest)
    manifest["timings"] = {k: round(v, 3) for k, v in timings.items()}
    manifest["build_seconds"] = round(time.perf_counter() - started, 3)
    manifest["files"] = {
        str(p.relative_to(tmp)): _sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()
    }
    _write_bytes(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
    for p in tmp.rglob("*"):
        if p.is_file():
            _fsync(p)
    os.replace(tmp, index.directory / name)
    return name, manifest


class _RowWriter:
    """An ``.npy`` file of ``(rows, width)`` written batch by batch: a header sized for any row
    count first, rows appended as they come, the real count written into the header at the end.
    Every write is a plain file write, so a full disk is an ``OSError`` naming ENOSPC."""

    HEADER = 128  # bytes: magic, version, length and the padded dict, as numpy's format 1.0 lays it out

    def __init__(self, path: Path, width: int, dtype: Any) -> None:
        self.path, self.width, self.dtype, self.rows = path, width, np.dtype(dtype), 0
        _write_bytes(path, self._header(0))
        self._handle = open(path, "r+b")
        self._handle.seek(0, 2)

    def _header(self, rows: int) -> bytes:
        text = repr({"descr": self.dtype.str, "fortran_order": False, "shape": (rows, self.width)})
        text = text.ljust(self.HEADER - 10 - 1) + "\n"
        return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin-1")

    def append(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block, dtype=self.dtype).reshape(-1, self.width)
        self._handle.write(block.tobytes())
        self.rows += len(block)

    def discard(self) -> None:
        """Stop writing (the file is about to be removed)."""
        self._handle.close()

    def seal(self) -> Path:
        """Write the row count into the header and close the file; its path."""
        self._handle.seek(0)
        self._handle.write(self._header(self.rows))
        self._handle.close()
        return self.path

    def close(self) -> np.ndarray:
        """Write the row count into the header; the rows, memory-mapped."""
        return load_array(self.seal())


def _row_blocks(path: Path, rows: int) -> Iterator[np.ndarray]:
    """The rows of an ``.npy`` file of :class:`_RowWriter`'s, ``rows`` at a time, by plain reads
    (a memory map would keep every page read in this process' resident memory until unmapped)."""
    with open(path, "rb") as handle:
        np.lib.format.read_magic(handle)
        shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
        total, width = shape
        for at in range(0, total, rows):
            block = np.empty((min(rows, total - at), width), dtype=dtype)
            if handle.readinto(memoryview(block).cast("B")) != block.nbytes:
                raise OSError(f"{path.name} ends before its row {total}")
            yield block


class Stored(NamedTuple):
    """Where a writer put the vectors, as an :class:`Index` holds them."""

    dense: Any
    sentence_vectors: np.ndarray | None
    lexical: LexicalIndex
    vectors: Vectors | None


#: the chunk vectors of a build, in its staging folder until the dense index is built from them
CHUNK_VECTORS_FILE = "chunk-vectors.tmp.npy"
#: chunk vectors read back at a time into the dense index (32 MB of float32 at 512 dimensions)
DENSE_BLOCK = 16384


class _LocalWriter:
    """Sentence vectors into ``sentences.npy`` and chunk vectors into a file beside it, batch by
    batch; the FAISS index is built from that file at :meth:`finish`, once the BM25 weights are
    written and out of memory (:meth:`settle`), and the file is removed. The same vectors in the
    same order: a flat index is the one adding them as they came would give."""

    def __init__(self, stage: Path, dim: int, threads: int, layout: dict[str, Any]) -> None:
        self.dense = _dense_index(dim, threads, layout)  # filled at :meth:`finish`
        self.stage = stage
        self.sentences = _RowWriter(stage / "sentences.npy", dim, np.float16)
        self.chunks = _RowWriter(stage / CHUNK_VECTORS_FILE, dim, np.float32)

    def add(self, chunk_rows: np.ndarray, chunk_vectors: np.ndarray, sentence_rows: np.ndarray,
            sentence_vectors: np.ndarray) -> None:
        self.chunks.append(chunk_vectors)
        self.sentences.append(sentence_vectors)

    def settle(self, lexical: LexicalIndex) -> LexicalIndex:
        """``lexical`` written into the generation and read back with its weights memory-mapped,
        so they are not in memory beside the dense index being built."""
        lexical.save(self.stage)
        return LexicalIndex.load(self.stage, mmap=True)

    def finish(self, lexical: LexicalIndex, n_sentences: int) -> Stored:
        path = self.chunks.seal()
        for block in _row_blocks(path, DENSE_BLOCK):
            self.dense.add(block)
        path.unlink()
        return Stored(self.dense, self.sentences.close(), lexical, None)

    def drop(self) -> None:
        # the staging folder, and the files in it, go with the failed build
        self.sentences.discard()
        self.chunks.discard()


class _MilvusWriter:
    """Vectors into a generation's Milvus collections; the vocabulary stays in the index folder."""

    def __init__(self, record: dict[str, Any], stage: Path, dim: int, doc_ids: list[str], settings: Settings,
                 layout: dict[str, Any]) -> None:
        from .milvus import MilvusWriter, collection_names, connect

        generation = stage.name.removeprefix(".tmp-")
        self._writer = MilvusWriter(connect(record["uri"], settings.milvus_token),
                                    collection_names(stage.parent, generation), dim, doc_ids, layout)
        record["collections"] = self._writer.names

    def add(self, chunk_rows: np.ndarray, chunk_vectors: np.ndarray, sentence_rows: np.ndarray,
            sentence_vectors: np.ndarray) -> None:
        self._writer.add(chunk_rows, chunk_vectors, sentence_rows, sentence_vectors)

    def settle(self, lexical: LexicalIndex) -> LexicalIndex:
        return lexical  # its weights go to Milvus at :meth:`finish`

    def finish(self, lexical: LexicalIndex, n_sentences: int) -> Stored:
        vectors = self._writer.finish(lexical, n_sentences)
        return Stored(None, None, lexical.vocabulary_only(), vectors)

    def drop(self) -> None:
        self._writer.drop()


@contextlib.contextmanager
def dropped_on_failure(writer: "_LocalWriter | _MilvusWriter") -> Iterator["_LocalWriter | _MilvusWriter"]:
    """The writer, whose vectors are dropped if the generation is not published."""
    try:
        yield writer
    except BaseException:
        writer.drop()
        raise


def backend_record(settings: Settings) -> dict[str, Any]:
    """What the manifest says of where the vectors live (a Milvus URI, never its token)."""
    if settings.backend == "local":
        return {"kind": "local"}
    if settings.backend != "milvus":
        raise FactCheckError(f"Unknown backend {settings.backend!r}: use local or milvus.")
    if not settings.milvus_uri:
        raise FactCheckError("The milvus backend needs --milvus-uri: a path ending in .db (Milvus Lite) "
                          "or http://host:19530 (a Milvus server).")
    from .milvus import normalise_uri

    return {"kind": "milvus", "uri": normalise_uri(settings.milvus_uri)}


def open_writer(manifest: dict[str, Any], stage: Path, dim: int, doc_ids: list[str],
                settings: Settings) -> "_LocalWriter | _MilvusWriter":
    """A writer for the vectors of the generation staged in ``stage``, where the manifest's
    ``backend`` says and as its ``dense_index`` says (the Milvus writer adds its collection names
    to the backend entry)."""
    record, layout = manifest["backend"], manifest.get("dense_index") or {"kind": "flat"}
    if record["kind"] == "milvus":
        return _MilvusWriter(record, stage, dim, doc_ids, settings, layout)
    return _LocalWriter(stage, dim, settings.threads, layout)


def _drop_unused_collections(directory: Path, manifest: dict[str, Any], settings: Settings | None = None) -> None:
    """After a publish: drop the Milvus collections of generations no longer on disk."""
    record = manifest.get("backend") or {}
    if record.get("kind") != "milvus":
        return
    from .milvus import connect, drop_unused

    keep = [e.name for e in directory.iterdir() if e.is_dir() and e.name.startswith("gen-")]
    try:
        drop_unused(connect(record["uri"], settings.milvus_token if settings else None), directory, keep)
    except FactCheckError as exc:  # the new index is published; leftovers only take space
        log.warning("could not drop the Milvus collections of old generations: %s", exc)


def _publish(directory: Path, generation: str) -> None:
    """Point CURRENT at ``generation`` atomically, then drop all but the previous generation."""
    previous = current_generation(directory)
    pointer = directory / f".{CURRENT}.tmp-{os.getpid()}"
    try:
        _write_bytes(pointer, (generation + "\n").encode("ascii"))
        _fsync(pointer)
        os.replace(pointer, directory / CURRENT)
    except BaseException:
        pointer.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)
    # Drop what no reader can be using: unfinished builds, and generations older than the one
    # just replaced. If that one is unknown (a damaged pointer), keep them all: deleting a
    # generation nobody can place would lose someone's index.
    for entry in directory.iterdir():
        if not entry.is_dir() or entry.name in (generation, previous):
            continue
        stale_tmp = entry.name.startswith(".tmp-gen-") and not _owned_by_live_build(entry.name)
        if stale_tmp or (previous is not None and entry.name.startswith("gen-")):
            shutil.rmtree(entry, ignore_errors=True)


def _owned_by_live_build(name: str) -> bool:
    """A ``.tmp-gen-<stamp>-<pid>-<rand>`` folder whose builder process is still running."""
    try:
        pid = int(name.split("-")[-2])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _build_lock(directory: Path) -> Iterator[None]:
    """One writer at a time; any failure to write becomes :class:`IndexWriteError`."""
    import fcntl

    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(directory / ".lock", "w")
    except OSError as exc:
        raise IndexWriteError(f"Cannot write an index in {directory}: {exc.strerror or exc}. "
                              "Choose another folder with --index, or fix its permissions.") from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        except OSError as exc:
            raise IndexWriteError(f"Writing the index in {directory} failed ({exc.strerror or exc}); "
                                  "the previous index, if any, is unchanged.") from None
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_jsonl(path: Path, rows: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False))
            handle.write("\n")


def _write_bytes(path: Path, data: bytes | memoryview) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def _write_streamed(path: Path, produce: Any) -> None:
    """Write into ``path`` whatever ``produce`` passes, piece by piece, to the ``write`` it is given."""
    with open(path, "wb") as handle:
        produce(handle.write)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- load


def current_generation(directory: Path) -> str | None:
    """The generation ``<index>/CURRENT`` names (one short read), or None without one."""
    try:
        name = (directory / CURRENT).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name or None


def index_exists(directory: Path) -> bool:
    """True when ``directory`` holds an index or the remains of one (it may be stale or damaged)."""
    directory = Path(directory)
    if (directory / CURRENT).exists():
        return True
    return directory.is_dir() and any(e.name.startswith("gen-") for e in directory.iterdir() if e.is_dir())


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of the current generation; raises if missing, unreadable or malformed."""
    directory = Path(directory)
    return _read_manifest_at(directory, current_generation(directory))


def _read_manifest_at(directory: Path, name: str | None) -> dict[str, Any]:
    hint = f"Rebuild it with: factcheck index --index {directory}"
    if name is None:
        if index_exists(directory):
            raise IndexCorruptError(f"Index at {directory} has a missing or damaged {CURRENT} pointer. {hint}")
        raise IndexNotFoundError(f"No index at {directory}. Build one with: factcheck index --index {directory}")
    path = directory / name / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"Index at {directory} points at {name}, which is missing. {hint}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"Index manifest {path} is unreadable ({exc}). {hint}") from None
    if not isinstance(manifest, dict):
        raise IndexCorruptError(f"Index manifest {path} is not a JSON object. {hint}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexStaleError(
            f"Index at {directory} has format {manifest.get('format_version')!r}, this version reads {FORMAT_VERSION}. {hint}"
        )
    shapes = {"embedder": dict, "files": dict, "counts": dict, "corpus": dict}
    for key, kind in shapes.items():
        if not isinstance(manifest.get(key), kind):
            raise IndexCorruptError(f"Index manifest {path}: {key!r} is missing or malformed (edited by hand?). {hint}")
    embedder, corpus = manifest["embedder"], manifest["corpus"]
    if not (isinstance(embedder.get("name"), str) and isinstance(embedder.get("dim"), int)
            and isinstance(corpus.get("dir"), str) and isinstance(corpus.get("files"), dict)
            and all(isinstance(v, str) for v in manifest["files"].values())):
        raise IndexCorruptError(f"Index manifest {path} is malformed (edited by hand?). {hint}")
    backend = manifest.get("backend", {"kind": "local"})
    if not (isinstance(backend, dict) and backend.get("kind") in ("local", "milvus")
            and (backend.get("kind") == "local" or isinstance(backend.get("uri"), str))):
        raise IndexCorruptError(f"Index manifest {path}: 'backend' is malformed (edited by hand?). {hint}")
    return manifest


def recorded_source(directory: Path) -> dict[str, str]:
    """Corpus folder and embedder an index was built from, read leniently from a damaged or
    older manifest (``{}`` when they cannot be known)."""
    directory = Path(directory)
    names = [current_generation(directory)]
    if directory.is_dir():  # a damaged pointer: the newest generation that says where it came from
        names += sorted((e.name for e in directory.iterdir() if e.name.startswith("gen-")), reverse=True)
    for name in names:
        if not name:
            continue
        try:
            data = json.loads((directory / name / MANIFEST).read_text(encoding="utf-8"))
            found = {"corpus_dir": data["corpus"]["dir"], "embedder": data["embedder"]["name"]}
            backend = data.get("backend") or {}
            if backend.get("kind") == "milvus":  # a rebuild goes where the index was
                found.update(backend="milvus", milvus_uri=backend.get("uri"))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            continue
        found = {k: v for k, v in found.items() if isinstance(v, str) and v}
        if "corpus_dir" in found:
            return found
    return {}


def load_index(directory: Path, verify: bool = True) -> Index:
    """Load the current generation of ``directory``.

    Every file is checked against the checksum in the manifest (``verify``), so
    a truncated or edited file raises :class:`IndexCorruptError` instead of
    producing wrong answers. The generation is resolved once, so a build that
    publishes meanwhile cannot mix two generations; if it removed the one being
    read, the load starts again on the new one.
    """
    directory = Path(directory)
    for attempt in range(3):
        name = current_generation(directory)
        try:
            return _load_generation(directory, name, verify)
        except IndexCorruptError:
            if attempt == 2 or current_generation(directory) == name:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _load_generation(directory: Path, name: str | None, verify: bool) -> Index:
    import faiss

    manifest = _read_manifest_at(directory, name)
    gen = directory / str(name)
    hint = f"Rebuild it with: factcheck index --index {directory}"
    for rel, expected in manifest["files"].items():
        path = gen / rel
        if not path.is_file():
            raise IndexCorruptError(f"Index file {path} is missing. {hint}")
        if verify and _sha256_file(path) != expected:
            raise IndexCorruptError(f"Index file {path} does not match its checksum (damaged or edited). {hint}")
    milvus = backend_kind(manifest) == "milvus"
    try:
        documents = DocumentTable.read(gen)
        # memory-mapped: a question reads the rows of the passages it retrieves, not every row
        chunks = ChunkTable(read_rows(gen / CHUNKS_FILE, 5), documents)
        sentences = SentenceTable(read_rows(gen / SENTENCES_FILE, 3), documents)
        centroid = load_array(gen / CENTROID_FILE, mmap_mode=None) if (gen / CENTROID_FILE).is_file() else None
        lexical = LexicalIndex.load(gen, vocabulary_only=milvus)
        if milvus:
            dense = sentence_vectors = None
        else:
            dense = faiss.read_index(str(gen / "dense.faiss"))
            layout = manifest.get("dense_index") or {}
            if layout.get("kind") == "hnsw" and hasattr(dense, "hnsw"):
                dense.hnsw.efSearch = int(layout.get("ef_search", dense.hnsw.efSearch))
            sentence_vectors = load_array(gen / "sentences.npy")
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise IndexCorruptError(f"Index at {directory} cannot be read ({type(exc).__name__}: {exc}). {hint}") from None
    dim = int(manifest["embedder"]["dim"])
    counts = manifest["counts"]
    if ((not milvus and (dense.ntotal != len(chunks) or dense.d != dim
                         or sentence_vectors.shape != (len(sentences), dim)))
            or len(chunks) != counts.get("chunks")
            or len(documents) != counts.get("documents") or len(sentences) != counts.get("sentences")
            or lexical.n_chunks != len(chunks)
            or (centroid is not None and centroid.shape != (dim,)) or not _rows_fit(documents, chunks, sentences)):
        raise IndexCorruptError(f"Index at {directory} is inconsistent (counts or dimensions disagree with the manifest). {hint}")
    vectors = None
    if milvus:
        from .milvus import MilvusVectors

        vectors = MilvusVectors.open(manifest, directory, lexical.term_ids())
    return Index(directory, manifest, documents, chunks, sentences, dense, sentence_vectors, lexical, centroid, vectors)


def backend_kind(manifest: dict[str, Any]) -> str:
    """``local`` or ``milvus``: where the index's vectors live (an index from before backends is local)."""
    record = manifest.get("backend")
    return str(record.get("kind", "local")) if isinstance(record, dict) else "local"


def _rows_fit(documents: DocumentTable, chunks: ChunkTable, sentences: SentenceTable) -> bool:
    """Every row names a stored document and a span that ends where it starts or later, and
    every chunk's sentences exist (checked in whole columns, not row by row)."""
    n = len(documents)
    for rows in (chunks.rows, sentences.rows):
        if len(rows) and (rows[:, 0].min() < 0 or rows[:, 0].max() >= n or (rows[:, 2] < rows[:, 1]).any()
                          or rows[:, 1].min() < 0):
            return False
    c = chunks.rows
    return not len(c) or bool((c[:, 3] >= 0).all() and ((c[:, 3] + c[:, 4]) <= len(sentences)).all())


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# --------------------------------------------------------------------------- freshness


def corpus_fingerprint(corpus_dir: Path) -> dict[str, Any]:
    """What an index must remember of its corpus to notice changes: path and file hashes
    (read in blocks; a file that cannot be read is recorded as such)."""
    files = {path.name: hash_file(path) for path in corpus_files(corpus_dir)}
    meta = corpus_dir / METADATA_FILE
    if meta.exists() or meta.is_symlink():
        files[METADATA_FILE] = hash_file(meta)
    return {"dir": str(corpus_dir.resolve()), "files": files}


def stale_reasons(manifest: dict[str, Any], corpus_dir: Path | None = None, embedder: str | None = None) -> list[str]:
    """Why an index no longer matches a corpus folder and an embedder (empty when it does)."""
    reasons = []
    if manifest.get("code_version") != code_version():
        reasons.append("it was built by another version of the indexing code")
    built_with = manifest["embedder"]["name"]
    if embedder is not None and embedder != built_with:
        reasons.append(f"it was built with embedder {built_with!r}, not {embedder!r}")
    recorded = manifest["corpus"]
    folder = Path(corpus_dir) if corpus_dir is not None else Path(recorded["dir"])
    if not folder.is_dir():
        if corpus_dir is not None:
            reasons.append(f"corpus folder {folder} does not exist")
        return reasons
    if corpus_dir is not None and str(folder.resolve()) != recorded["dir"]:
        reasons.append(f"it was built from {recorded['dir']}, not {folder.resolve()}")
        return reasons
    now = corpus_fingerprint(folder)["files"]
    old = recorded["files"]
    added = sorted(set(now) - set(old))
    removed = sorted(set(old) - set(now))
    changed = sorted(n for n in set(now) & set(old) if now[n] != old[n])
    for label, names in (("added", added), ("removed", removed), ("changed", changed)):
        if names:
            reasons.append(f"{len(names)} corpus file(s) {label} since the build: {', '.join(names[:5])}")
    return reasons


def ensure_index(
    settings: Settings,
    corpus_dir: Path | None = None,
    embedder_name: str | None = None,
    embedder: Embedder | None = None,
    rebuild: bool = True,
    progress: bool = True,
) -> tuple[Index, str]:
    """Load the index at ``settings.index_dir``, building or rebuilding it when needed.

    ``corpus_dir`` and ``embedder_name`` are what the caller insists on; when
    ``None``, an existing index is checked against the corpus folder and
    embedder recorded in its own manifest, and a missing one is built from
    ``settings``. Returns the index and what happened (``loaded``, ``built``
    or ``rebuilt: <why>``). With ``rebuild=False`` a stale or missing index
    raises instead of being rebuilt.
    """
    directory = Path(settings.index_dir)
    if not index_exists(directory):
        if not rebuild:
            raise IndexNotFoundError(f"No index at {directory}. Build one with: factcheck index --index {directory}")
        fresh = settings.with_(corpus_dir=corpus_dir, embedder=embedder_name)
        index, _ = build_index(fresh, embedder, progress)
        return index, "built"
    recorded: dict[str, Any] = recorded_source(directory)
    try:
        manifest = read_manifest(directory)
        reasons = stale_reasons(manifest, corpus_dir, embedder_name)
        if not reasons:
            return load_index(directory), "loaded"
    except (IndexCorruptError, IndexStaleError) as exc:
        if not rebuild:
            raise
        reasons = [str(exc)]
        if "corpus_dir" not in recorded and corpus_dir is None and directory.resolve() != default_index_dir().resolve():
            # Never rebuild someone's index from a corpus we would only be guessing at.
            raise IndexCorruptError(
                f"{exc} Its corpus folder cannot be read from it; rebuild with: "
                f"factcheck index --corpus DIR --index {directory}"
            ) from None
    if not rebuild:
        raise IndexStaleError(
            f"Index at {directory} is out of date: {'; '.join(reasons)}. Rebuild it with: factcheck index --index {directory}"
        )
    target = settings.with_(**recorded).with_(corpus_dir=corpus_dir, embedder=embedder_name)
    if not Path(target.corpus_dir).is_dir():
        raise IndexStaleError(
            f"Index at {directory} is out of date ({'; '.join(reasons)}) and its corpus folder "
            f"{target.corpus_dir} is gone. Rebuild it with: factcheck index --corpus DIR --index {directory}"
        )
    log.warning("rebuilding index at %s: %s", directory, "; ".join(reasons))
    if embedder is not None and embedder.name != target.embedder:
        embedder = None
    index, _ = build_index(target, embedder, progress)
    return index, "rebuilt: " + "; ".join(reasons)
