"""Building the index: corpus → chunks → dense (FAISS) + lexical (BM25) index on disk."""

from __future__ import annotations

from .chunks import Chunk, Sentence, chunk_documents
from .config import PROJECT_ROOT, SEEDS_DIR, Settings, default_index_dir
from .corpus import Document, Problem, load_corpus, read_document
from .embedders import Embedder, load_embedder
from .errors import (
    CorpusError,
    EmbedderError,
    FactCheckError,
    IndexCorruptError,
    IndexNotFoundError,
    IndexStaleError,
    IndexWriteError,
)
from .store import Index, build_index, ensure_index, load_index, read_manifest, stale_reasons

__all__ = [
    "PROJECT_ROOT",
    "SEEDS_DIR",
    "Chunk",
    "CorpusError",
    "Document",
    "Embedder",
    "EmbedderError",
    "FactCheckError",
    "Index",
    "IndexCorruptError",
    "IndexNotFoundError",
    "IndexStaleError",
    "IndexWriteError",
    "Problem",
    "Sentence",
    "Settings",
    "build_index",
    "chunk_documents",
    "default_index_dir",
    "ensure_index",
    "load_corpus",
    "load_embedder",
    "load_index",
    "read_document",
    "read_manifest",
    "stale_reasons",
]
