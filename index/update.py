"""Adding and removing documents without rebuilding: existing chunks are never re-embedded.

An update copies new files into the index's corpus folder (or moves removed ones
to ``<corpus>/.removed/``), embeds only the new chunks and sentences, keeps the
stored vectors of the rest, and publishes a new generation atomically, like a
build. The corpus folder and the index stay in step, so the next load finds
the index up to date.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from .chunks import chunk_documents
from .corpus import SUFFIXES, CorpusError, Document, read_document, read_metadata
from .errors import IndexCorruptError
from .embedders import Embedder, load_embedder
from .lexical import LexicalIndex
from .config import Settings
from .store import (
    TOKENS_FILE,
    Index,
    _build_lock,
    _drop_unused_collections,
    _progress_bar,
    _publish,
    _read_jsonl,
    _staging,
    _write_generation,
    dense_layout,
    dropped_on_failure,
    open_writer,
    centroid_of,
    code_version,
    load_index,
    read_manifest,
    stale_reasons,
)
from .tables import ChunkTable, DocumentTable, SentenceTable, load_array
from .text import lexical_terms

REMOVED_DIR = ".removed"


@dataclass
class UpdateReport:
    """What an add or remove did."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    embedded: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"added": self.added, "removed": self.removed, "skipped": self.skipped, "embedded": self.embedded}


def safe_target(corpus_dir: Path, name: str) -> Path:
    """Where a file called ``name`` goes in the corpus; refuses names that leave the folder."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name or name.startswith("."):
        raise CorpusError(f"{name!r} is not a plain file name; it would leave the corpus folder {corpus_dir}.")
    if Path(name).suffix.lower() not in SUFFIXES:
        raise CorpusError(f"{name}: only {', '.join(SUFFIXES)} files can be added.")
    target = (corpus_dir / name).resolve()
    if target.parent != corpus_dir.resolve():
        raise CorpusError(f"{name!r} would leave the corpus folder {corpus_dir}.")
    return target


def add_documents(directory: Path, paths: Iterable[Path | str], names: Iterable[str | None] | None = None,
                  embedder: Embedder | None = None, progress: bool = False) -> tuple[Index, UpdateReport]:
    """Copy ``paths`` into the index's corpus folder and index them incrementally.

    Files whose content is already indexed, or whose name is taken, are skipped
    (and reported); unreadable ones raise :class:`CorpusError` before anything changes.
    """
    directory = Path(directory)
    report = UpdateReport()
    with _build_lock(directory):
        index = _current(directory)
        corpus_dir = Path(index.manifest["corpus"]["dir"])
        metadata = read_metadata(corpus_dir)
        known_hashes = {m["sha256"]: m["doc_id"] for m in index.documents.metas()}
        plan: list[tuple[Path, Path, Document]] = []
        name_list = list(names) if names is not None else []
        for i, raw in enumerate(paths):
            source = Path(raw).expanduser()
            name = (name_list[i] if i < len(name_list) else None) or source.name
            target = safe_target(corpus_dir, name)
            doc = read_document(source, metadata.get(target.stem), doc_id=target.stem)
            if doc.sha256 in known_hashes:
                report.skipped.append(f"{source.name}: same content as {known_hashes[doc.sha256]}, already indexed")
                continue
            planned = {t.name for _, t, _ in plan} | {d.doc_id for _, _, d in plan}
            if target.exists() or doc.doc_id in index.documents or target.name in planned or doc.doc_id in planned:
                report.skipped.append(f"{name}: a document with this name is already in the corpus")
                continue
            known_hashes[doc.sha256] = doc.doc_id
            plan.append((source, target, doc))
        if not plan:
            return index, report
        new_docs = [Document(**{**d.__dict__, "path": str(t)}) for _, t, d in plan]
        if embedder is None or embedder.name != index.embedder_name:
            embedder = load_embedder(index.embedder_name)
        copied: list[Path] = []
        try:
            for source, target, _ in plan:
                tmp = target.with_name(f".{target.name}.adding")
                copied.append(tmp)
                shutil.copyfile(source, tmp)
                tmp.replace(target)
                copied.append(target)
            files = {**index.manifest["corpus"]["files"], **{Path(d.path).name: d.sha256 for d in new_docs}}
            index = _rewrite(directory, index, keep=lambda doc_id: True, new_docs=new_docs, embedder=embedder,
                             report=report, progress=progress, files=files)
        except BaseException:
            for path in copied:  # the corpus must not hold files the index does not
                path.unlink(missing_ok=True)
            raise
        report.added = [d.doc_id for d in new_docs]
        return index, report


def remove_documents(directory: Path, doc_ids: Iterable[str]) -> tuple[Index, UpdateReport]:
    """Drop documents from the index and move their files to ``<corpus>/.removed/``."""
    directory = Path(directory)
    report = UpdateReport()
    with _build_lock(directory):
        index = _current(directory)
        wanted = list(dict.fromkeys(doc_ids))
        unknown = [d for d in wanted if d not in index.documents]
        if unknown:
            raise CorpusError(f"Not in the index: {', '.join(unknown)}. Known ids: {', '.join(sorted(index.documents))}")
        gone = set(wanted)
        if gone == set(index.documents):
            raise CorpusError("Removing every document would leave an empty index; build another instead.")
        corpus_dir = Path(index.manifest["corpus"]["dir"])
        moved: list[tuple[Path, Path]] = []
        trash = corpus_dir / REMOVED_DIR
        trash.mkdir(exist_ok=True)
        for doc_id in wanted:
            path = Path(index.documents.meta(doc_id)["path"])
            if path.exists() and path.parent.resolve() == corpus_dir.resolve():
                stamp = time.strftime("%Y%m%d-%H%M%S")
                dest = trash / f"{path.name}.{stamp}"
                n = 1
                while dest.exists():
                    dest = trash / f"{path.name}.{stamp}-{n}"
                    n += 1
                path.replace(dest)
                moved.append((dest, path))
        moved_names = {path.name for _, path in moved}
        files = {name: h for name, h in index.manifest["corpus"]["files"].items() if name not in moved_names}
        try:
            index = _rewrite(directory, index, keep=lambda doc_id: doc_id not in gone, new_docs=[], embedder=None,
                             report=report, progress=False, files=files)
        except BaseException:
            for dest, path in moved:
                dest.replace(path)
            raise
        report.removed = wanted
        return index, report


def _current(directory: Path) -> Index:
    """The index to update; it must be up to date with its corpus first."""
    manifest = read_manifest(directory)
    reasons = stale_reasons(manifest)
    if reasons:
        raise CorpusError(
            f"The index at {directory} is out of date ({'; '.join(reasons)}); rebuild it with "
            f"factcheck index --index {directory} before adding or removing documents."
        )
    return load_index(directory)


def _rewrite(directory: Path, index: Index, keep, new_docs: list[Document], embedder: Embedder | None,  # type: ignore[no-untyped-def]
             report: UpdateReport, progress: bool, files: dict[str, str]) -> Index:
    """Publish the index without the documents ``keep`` refuses and with ``new_docs``; ``files`` are
    the corpus hashes to record: the index's own, updated by what this change added or moved away
    (not a fresh look at the folder, which could hide a hand edit made meanwhile)."""
    started = time.perf_counter()
    gen = directory / _generation_name(directory)
    old_tokens = _read_jsonl_lists(gen / TOKENS_FILE, len(index.chunks))
    old = index.documents
    kept = np.array([bool(keep(doc_id)) for doc_id in old.ids], dtype=bool)
    documents = DocumentTable.merged(old, np.flatnonzero(kept), new_docs)
    moved = np.cumsum(kept) - 1  # old document position → new one (where kept)

    # the kept rows, renumbered: documents by position, sentences by id
    s_keep = kept[index.sentences.rows[:, 0]] if len(index.sentences) else np.zeros(0, dtype=bool)
    sentence_rows = np.array(index.sentences.rows[s_keep], dtype=np.int32).reshape(-1, 3)
    sentence_rows[:, 0] = moved[sentence_rows[:, 0]]
    new_sid = np.cumsum(s_keep) - 1
    c_keep = kept[index.chunks.rows[:, 0]] if len(index.chunks) else np.zeros(0, dtype=bool)
    chunk_rows = np.array(index.chunks.rows[c_keep], dtype=np.int32).reshape(-1, 5)
    chunk_rows[:, 0] = moved[chunk_rows[:, 0]]
    chunk_rows[:, 3] = np.where(chunk_rows[:, 4] > 0, new_sid[chunk_rows[:, 3]] if len(new_sid) else 0, 0)
    kept_chunks = np.flatnonzero(c_keep).astype(np.int64)
    tokens = [old_tokens[i] for i in kept_chunks.tolist()]
    chunk_vectors = _read_all(index, "chunks", kept_chunks).astype(np.float32)
    sentence_vectors = _read_all(index, "sentences", np.flatnonzero(s_keep)).astype(np.float16)

    if new_docs:
        assert embedder is not None
        chunker = index.manifest["chunker"]
        new_chunks, new_sentences = chunk_documents(new_docs, chunker["size"], chunker["overlap"],
                                                    first_sentence_id=len(sentence_rows),
                                                    first_chunk_id=len(chunk_rows))
        texts = [c.text for c in new_chunks] + [s.text for s in new_sentences]
        with _progress_bar(len(texts), f"embedding {len(new_docs)} new document(s)", progress) as tick:
            vectors = embedder.embed_passages(texts, progress=tick)
        report.embedded = len(texts)
        chunk_vectors = np.vstack([chunk_vectors, vectors[:len(new_chunks)]])
        sentence_vectors = np.vstack([sentence_vectors, vectors[len(new_chunks):]]).astype(np.float16)
        chunk_rows = np.vstack([chunk_rows, ChunkTable.of(new_chunks, documents).rows])
        sentence_rows = np.vstack([sentence_rows, SentenceTable.of(new_sentences, documents).rows])
        tokens += [lexical_terms(c.text) for c in new_chunks]
    chunk_vectors = np.ascontiguousarray(chunk_vectors, dtype=np.float32)
    manifest = dict(index.manifest)
    manifest.update({
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "code_version": code_version(),
        "corpus": {"dir": index.manifest["corpus"]["dir"], "files": files},
        "counts": {"documents": len(documents), "chunks": len(chunk_rows), "sentences": len(sentence_rows)},
        "updated": {"added": [d.doc_id for d in new_docs], "embedded": report.embedded},
    })
    # the dense index keeps the kind its build picked for the corpus' size (a rebuild picks again)
    manifest["dense_index"] = index.manifest.get("dense_index") or dense_layout(Settings(dense_index="flat"), 0)
    manifest["backend"] = {k: v for k, v in (index.manifest.get("backend") or {"kind": "local"}).items()
                           if k != "collections"}
    with _staging(directory) as stage, \
            dropped_on_failure(open_writer(manifest, stage, index.dim, documents.ids, Settings())) as writer:
        writer.add(chunk_rows, chunk_vectors, sentence_rows, sentence_vectors)
        stored = writer.finish(LexicalIndex.build(tokens), len(sentence_rows))
        updated = Index(directory, manifest, documents, ChunkTable(chunk_rows, documents),
                        SentenceTable(sentence_rows, documents), stored.dense, stored.sentence_vectors, stored.lexical,
                        centroid_of(chunk_vectors), stored.vectors)
        generation, updated.manifest = _write_generation(updated, tokens, {}, started, stage)
        _publish(directory, generation)
    _drop_unused_collections(directory, updated.manifest)
    if updated.sentence_vectors is not None:
        updated.sentence_vectors = load_array(directory / generation / "sentences.npy")
    return updated


def _read_all(index: Index, kind: str, ids: np.ndarray) -> np.ndarray:
    """The stored vectors of many chunks or sentences (an update copies the kept ones)."""
    if not len(ids):
        return np.zeros((0, index.dim), np.float32)
    if index.dense is not None:  # the local files
        if kind == "chunks":
            return index.dense.reconstruct_batch(np.asarray(ids, dtype=np.int64))
        return np.asarray(index.sentence_vectors[ids])
    return index.vectors.all_vectors(kind, ids)  # type: ignore[attr-defined]


def _generation_name(directory: Path) -> str:
    return (directory / "CURRENT").read_text(encoding="ascii").strip()


def _read_jsonl_lists(path: Path, expected: int) -> list[list[str]]:
    hint = "rebuild the index with factcheck index before updating it"
    if not path.exists():
        raise IndexCorruptError(f"{path} is missing: {hint}.")
    try:
        rows = [list(row) for row in _read_jsonl(path)]
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorruptError(f"{path} cannot be read ({exc}): {hint}.") from None
    if len(rows) != expected or not all(isinstance(t, str) for row in rows for t in row):
        raise IndexCorruptError(f"{path} does not match the index's chunks: {hint}.")
    return rows


__all__ = ["REMOVED_DIR", "UpdateReport", "add_documents", "remove_documents", "safe_target"]
