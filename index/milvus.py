"""The Milvus backend: an index's vectors and BM25 weights in Milvus (``pip install -e '.[milvus]'``).

``factcheck index --backend milvus --milvus-uri URI`` writes, for each generation of the index,
three collections into Milvus:

- ``<prefix>_chunks``: each passage's vector (float, inner product) with its document id and span;
- ``<prefix>_sentences``: each sentence's vector (the float16 values the local store keeps) with
  its document id and span;
- ``<prefix>_lexical``: each passage's BM25 weights as a sparse vector, the very weights bm25s
  computes for the local store (:meth:`index.lexical.LexicalIndex.chunk_weights`), so a sparse
  inner product with the question's term counts is the local BM25 score.

The index directory keeps the manifest (backend, URI, collection names; never the token), the
documents' texts and the passage and sentence spans (citations are cut from the documents' text),
the vocabulary with its IDF, and the centroid. Search asks Milvus for dense and lexical candidates,
scores every candidate with the stored vectors and weights, and fuses on this side, as the local
store does: a cluster's hybrid search only fuses by rank (RRF), which answers worse here.

``URI`` is a path ending in ``.db`` (Milvus Lite, embedded, one process at a time) or
``http://host:19530`` (a Milvus server or cluster; the token comes from ``--milvus-token`` or
``$FACTCHECK_MILVUS_TOKEN`` at each run).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from .config import MILVUS_TOKEN_ENV as TOKEN_ENV
from .errors import ExtraNotInstalledError, FactCheckError, IndexCorruptError
from .vectors import LexicalHits, LexicalQuery

if TYPE_CHECKING:
    from .lexical import LexicalIndex

log = logging.getLogger(__name__)

KINDS = ("chunks", "sentences", "lexical")
#: rows per insert (a few MB per request) and ids per fetch
INSERT_BATCH = 2048
FETCH_BATCH = 4096
#: extra lexical candidates asked for, so ties at the cut are broken by id as the local store does
TIE_MARGIN = 32
#: vectors kept between calls (an answer reads the sentences its search just scored)
CACHE_ROWS = 50_000
DOC_ID_CHARS = 1024


class MilvusError(FactCheckError):
    """Milvus cannot be reached or refused a request."""


def _pymilvus():  # type: ignore[no-untyped-def]
    try:
        import pymilvus
    except ImportError as exc:
        raise ExtraNotInstalledError(
            "The Milvus backend needs pymilvus (and milvus-lite for a local .db path), which are not "
            "installed. From a checkout of this project: pip install -e '.[milvus]'"
        ) from exc
    # it logs every failed request with a traceback at ERROR; ours are raised with a message instead.
    # Milvus Lite's in-process gRPC server logs a traceback for each call it does not implement
    # (creating a collection makes one), harmless; Milvus Lite logs a traceback when its database is
    # locked, which the error raised here explains.
    for name in ("pymilvus", "milvus_lite", "grpc._server"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return pymilvus


def normalise_uri(uri: str) -> str:
    """A server URL as given, or a Milvus Lite path made absolute (every later command, from any
    folder, opens the same database). Raises :class:`MilvusError` for anything else."""
    text = str(uri).strip()
    if re.match(r"^(https?|tcp|unix)://", text):
        return text
    if not text.endswith(".db"):
        raise MilvusError(f"--milvus-uri {text!r} is neither a server URL (http://host:19530) nor a "
                          "Milvus Lite path ending in .db (e.g. ./milvus.db)")
    return str(Path(text).expanduser().resolve())


def is_lite(uri: str) -> bool:
    return not re.match(r"^(https?|tcp|unix)://", uri)


_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


def connect(uri: str, token: str | None = None) -> Any:
    """A client for ``uri`` (one per URI and token in this process)."""
    pymilvus = _pymilvus()
    token = token if token is not None else os.environ.get(TOKEN_ENV, "")
    key = (uri, token)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            if is_lite(uri):
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            try:
                client = pymilvus.MilvusClient(uri=uri, token=token) if token else pymilvus.MilvusClient(uri=uri)
            except Exception as exc:  # pymilvus raises its own types and gRPC's
                raise MilvusError(_connect_hint(uri, exc)) from None
            _clients[key] = client
    return client


def _connect_hint(uri: str, exc: Exception) -> str:
    if is_lite(uri):
        return (f"Cannot open the Milvus Lite database {uri} ({_reason(exc)}). Milvus Lite lets one process "
                "open a database at a time: close the other factcheck (a running `factcheck ui`?) or use a "
                "Milvus server (--milvus-uri http://host:19530).")
    return (f"Cannot reach Milvus at {uri} ({_reason(exc)}). Check that the server is running and the "
            f"token (--milvus-token or ${TOKEN_ENV}) is right.")


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(message).split())[:300]


def collection_names(directory: Path, generation: str) -> dict[str, str]:
    """The collections of one generation of the index at ``directory``: named after the index's
    absolute path (several indexes can share a cluster) and the generation."""
    tag = index_tag(directory)
    gen = re.sub(r"[^0-9A-Za-z]", "_", generation.removeprefix("gen-"))
    return {kind: f"{tag}_{gen}_{kind}" for kind in KINDS}


def index_tag(directory: Path) -> str:
    return "factcheck_" + hashlib.sha256(str(Path(directory).resolve()).encode("utf-8")).hexdigest()[:12]


def _call(what: str, fn, *args: Any, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
    """Run one request; a failure becomes :class:`MilvusError` naming ``what`` was asked."""
    try:
        return fn(*args, **kwargs)
    except FactCheckError:
        raise
    except Exception as exc:
        raise MilvusError(f"Milvus refused to {what}: {_reason(exc)}") from None


# --------------------------------------------------------------------------- writing


class MilvusWriter:
    """Creates one generation's collections and fills them as a build streams its vectors.

    Args:
        client: from :func:`connect`.
        names: from :func:`collection_names`.
        dim: the embedder's dimension.
        doc_ids: the documents' ids by position (rows name documents by position).
        layout: the manifest's ``dense_index`` (:func:`index.store.dense_layout`): flat or HNSW.
    """

    def __init__(self, client: Any, names: dict[str, str], dim: int, doc_ids: list[str],
                 layout: dict[str, Any]) -> None:
        self.client, self.names, self.dim, self.doc_ids = client, names, dim, doc_ids
        self.chunks = self.sentences = 0
        DataType = _pymilvus().DataType
        for kind in KINDS:
            if client.has_collection(names[kind]):  # the remains of a failed build of this very name
                client.drop_collection(names[kind])
        for kind in ("chunks", "sentences"):
            schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("doc_id", DataType.VARCHAR, max_length=DOC_ID_CHARS)
            schema.add_field("start", DataType.INT32)
            schema.add_field("end", DataType.INT32)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
            params = client.prepare_index_params()
            if kind == "chunks" and layout.get("kind") == "hnsw":
                params.add_index("vector", index_type="HNSW", metric_type="IP",
                                 params={"M": int(layout["M"]), "efConstruction": int(layout["ef_construction"])})
            else:  # sentences are only read by id; FLAT is the cheapest index that lets them load
                params.add_index("vector", index_type="FLAT", metric_type="IP")
            _call(f"create collection {names[kind]}", client.create_collection, names[kind], schema=schema,
                  index_params=params)
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("weights", DataType.SPARSE_FLOAT_VECTOR)
        params = client.prepare_index_params()
        params.add_index("weights", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        _call(f"create collection {names['lexical']}", client.create_collection, names["lexical"], schema=schema,
              index_params=params)

    def add(self, chunk_rows: np.ndarray, chunk_vectors: np.ndarray, sentence_rows: np.ndarray,
            sentence_vectors: np.ndarray) -> None:
        """Append chunks and sentences (rows as :mod:`index.tables` stores them) with their vectors."""
        self.chunks = self._insert("chunks", self.chunks, chunk_rows, np.asarray(chunk_vectors, np.float32))
        # the local store keeps sentence vectors in float16: the same values here answer the same
        values = np.asarray(np.asarray(sentence_vectors, np.float16), np.float32)
        self.sentences = self._insert("sentences", self.sentences, sentence_rows, values)

    def _insert(self, kind: str, first: int, rows: np.ndarray, vectors: np.ndarray) -> int:
        for at in range(0, len(rows), INSERT_BATCH):
            block = [{"id": first + at + i, "doc_id": self.doc_ids[int(r[0])], "start": int(r[1]), "end": int(r[2]),
                      "vector": v} for i, (r, v) in enumerate(zip(rows[at:at + INSERT_BATCH], vectors[at:at + INSERT_BATCH]))]
            _call(f"insert into {self.names[kind]}", self.client.insert, self.names[kind], block)
        return first + len(rows)

    def finish(self, lexical: "LexicalIndex", n_sentences: int) -> "MilvusVectors":
        """Store the BM25 weights, flush (unflushed rows make every search slow) and return the
        collections as :class:`MilvusVectors`."""
        weights = lexical.chunk_weights()
        name = self.names["lexical"]
        batch: list[dict[str, Any]] = []
        for chunk in range(weights.shape[0]):
            lo, hi = weights.indptr[chunk], weights.indptr[chunk + 1]
            if hi > lo:  # Milvus refuses an empty sparse vector: a chunk without terms scores 0 anyway
                batch.append({"id": chunk, "weights": dict(zip(weights.indices[lo:hi].tolist(),
                                                                 weights.data[lo:hi].tolist()))})
            if len(batch) >= INSERT_BATCH:
                _call(f"insert into {name}", self.client.insert, name, batch)
                batch = []
        if batch:
            _call(f"insert into {name}", self.client.insert, name, batch)
        for kind in KINDS:
            _call(f"flush {self.names[kind]}", self.client.flush, self.names[kind])
        return MilvusVectors(self.client, self.names, lexical.term_ids(), self.chunks, n_sentences)

    def drop(self) -> None:
        """Remove this generation's collections (a build that failed before publishing)."""
        for name in self.names.values():
            try:
                if self.client.has_collection(name):
                    self.client.drop_collection(name)
            except Exception as exc:  # the failure being handled matters more
                log.warning("could not drop %s: %s", name, _reason(exc))


def drop_unused(client: Any, directory: Path, keep: Iterator[str] | list[str]) -> list[str]:
    """Drop the collections of this index's generations not in ``keep``; return their names."""
    tag = index_tag(directory)
    wanted = {name for gen in keep for name in collection_names(directory, gen).values()}
    dropped = []
    for name in _call("list collections", client.list_collections):
        if name.startswith(tag + "_") and name not in wanted:
            _call(f"drop {name}", client.drop_collection, name)
            dropped.append(name)
    return dropped


# --------------------------------------------------------------------------- reading


class _Rows:
    """A bounded cache of rows fetched by id."""

    def __init__(self) -> None:
        self.rows: dict[int, Any] = {}

    def missing(self, ids: list[int]) -> list[int]:
        return [i for i in dict.fromkeys(ids) if i not in self.rows]

    def put(self, found: dict[int, Any]) -> None:
        if len(self.rows) + len(found) > CACHE_ROWS:
            self.rows = {}
        self.rows.update(found)


class _SparseHits:
    """Lexical candidates from Milvus, scored exactly from their stored weights on this side."""

    def __init__(self, store: "MilvusVectors", weights: dict[int, float], ids: np.ndarray) -> None:
        self._store, self._weights = store, weights
        self.ids = ids

    def scores(self, ids: np.ndarray) -> np.ndarray:
        return self._store._lexical_scores(self._weights, ids)


class MilvusVectors:
    """:class:`index.vectors.Vectors` over one generation's collections."""

    kind = "milvus"

    def __init__(self, client: Any, names: dict[str, str], term_ids: dict[str, int], n_chunks: int,
                 n_sentences: int, hnsw_ef: int = 0) -> None:
        self.client, self.names, self.term_ids = client, names, term_ids
        self.n_chunks, self.n_sentences, self.hnsw_ef = n_chunks, n_sentences, hnsw_ef
        self._cache = {kind: _Rows() for kind in KINDS}

    @classmethod
    def open(cls, manifest: dict[str, Any], directory: Path, term_ids: dict[str, int]) -> "MilvusVectors":
        """The collections a manifest names, checked: each exists and holds the rows it should."""
        backend = manifest["backend"]
        hint = f"Rebuild it with: factcheck index --index {directory} --backend milvus --milvus-uri {backend['uri']}"
        client = connect(backend["uri"])
        names = backend.get("collections")
        if not isinstance(names, dict) or set(names) != set(KINDS):
            raise IndexCorruptError(f"Index manifest at {directory} names no Milvus collections (edited by hand?). {hint}")
        counts = manifest["counts"]
        expected = {"chunks": counts.get("chunks"), "sentences": counts.get("sentences"), "lexical": None}
        for kind, name in names.items():
            if not _call("list collections", client.has_collection, name):
                raise IndexCorruptError(f"Milvus at {backend['uri']} has no collection {name}: its data was "
                                        f"deleted or this is another database. {hint}")
            _call(f"load {name}", client.load_collection, name)
            rows = int(_call(f"count {name}", client.get_collection_stats, name).get("row_count", -1))
            want = expected[kind]
            if (want is not None and rows != want) or (kind == "lexical" and rows > int(counts.get("chunks", 0))):
                raise IndexCorruptError(f"Milvus collection {name} holds {rows} rows, the index {want}: its data "
                                        f"was changed outside factcheck. {hint}")
        layout = manifest.get("dense_index") or {}
        return cls(client, names, term_ids, int(counts["chunks"]), int(counts["sentences"]),
                   int(layout.get("ef_search", 0)) if layout.get("kind") == "hnsw" else 0)

    # -- the protocol
    def dense_top(self, vector: np.ndarray, depth: int) -> np.ndarray:
        params: dict[str, Any] = {"metric_type": "IP"}
        if self.hnsw_ef:
            params["params"] = {"ef": max(self.hnsw_ef, depth)}
        found = _call("search", self.client.search, self.names["chunks"], [np.asarray(vector, np.float32)],
                      limit=min(depth, self.n_chunks), anns_field="vector", search_params=params, output_fields=["id"])
        return _ordered(found[0])

    def chunk_vectors(self, ids: np.ndarray) -> np.ndarray:
        return self._vectors("chunks", ids)

    def sentence_vectors(self, ids: np.ndarray) -> np.ndarray:
        return self._vectors("sentences", ids)

    def lexical_top(self, query: LexicalQuery, depth: int) -> LexicalHits:
        weights = {self.term_ids[t]: w for t, w in query.weights(self.term_ids).items()}
        if not weights or depth <= 0:
            return _SparseHits(self, weights, np.zeros(0, dtype=np.int64))
        found = _call("search", self.client.search, self.names["lexical"], [weights], limit=min(depth + TIE_MARGIN, 16384),
                      anns_field="weights", search_params={"metric_type": "IP", "params": {"drop_ratio_search": 0.0}},
                      output_fields=["id"])
        ids = np.fromiter((hit["id"] for hit in found[0]), dtype=np.int64)
        # rescored from the weights themselves: the order, and ties cut by id, match the local store
        scores = self._lexical_scores(weights, ids)
        order = np.lexsort((ids, -scores))[:depth]
        keep = order[scores[order] > 0]
        return _SparseHits(self, weights, ids[keep])

    def close(self) -> None:
        return None  # the client is shared by every index on this URI in the process

    # -- fetching
    def _fetch(self, kind: str, ids: list[int]) -> None:
        cache = self._cache[kind]
        missing = cache.missing(ids)
        field = "weights" if kind == "lexical" else "vector"
        for at in range(0, len(missing), FETCH_BATCH):
            part = missing[at:at + FETCH_BATCH]
            rows = _call(f"read {self.names[kind]}", self.client.get, self.names[kind], ids=part, output_fields=[field])
            found = {int(r["id"]): r[field] for r in rows}
            if kind != "lexical" and len(found) != len(part):
                lost = sorted(set(part) - set(found))[:5]
                raise IndexCorruptError(f"Milvus collection {self.names[kind]} lacks rows {lost}: its data was "
                                        "changed outside factcheck. Rebuild the index with factcheck index.")
            if kind == "lexical":
                found.update({i: {} for i in part if i not in found})  # a chunk without terms
            cache.put(found)

    def _vectors(self, kind: str, ids: np.ndarray) -> np.ndarray:
        wanted = np.asarray(ids, dtype=np.int64).ravel().tolist()
        self._fetch(kind, wanted)
        rows = self._cache[kind].rows
        try:
            return np.asarray([rows[i] for i in wanted], dtype=np.float32).reshape(len(wanted), -1)
        except KeyError:  # evicted by a concurrent fetch: read again, without the cache
            self._cache[kind] = _Rows()
            self._fetch(kind, wanted)
            rows = self._cache[kind].rows
            return np.asarray([rows[i] for i in wanted], dtype=np.float32).reshape(len(wanted), -1)

    def term_weights(self, terms: Sequence[str], ids: np.ndarray) -> np.ndarray:
        wanted = np.asarray(ids, dtype=np.int64).tolist()
        out = np.zeros((len(wanted), len(terms)), dtype=np.float32)
        columns = [self.term_ids.get(t) for t in terms]
        if not wanted or all(c is None for c in columns):
            return out
        self._fetch("lexical", wanted)
        rows = self._cache["lexical"].rows
        for n, i in enumerate(wanted):
            stored = rows.get(i)
            if stored is None:
                self._fetch("lexical", [i])
                stored = self._cache["lexical"].rows.get(i, {})
            for j, col in enumerate(columns):
                value = stored.get(col) if col is not None else None
                if value is not None:
                    out[n, j] = value
        return out

    def _lexical_scores(self, weights: dict[int, float], ids: np.ndarray) -> np.ndarray:
        wanted = np.asarray(ids, dtype=np.int64).tolist()
        if not weights:
            return np.zeros(len(wanted), dtype=np.float32)
        self._fetch("lexical", wanted)
        rows = self._cache["lexical"].rows
        out = np.zeros(len(wanted), dtype=np.float32)
        for n, i in enumerate(wanted):
            stored = rows.get(i)
            if stored is None:
                self._fetch("lexical", [i])
                stored = self._cache["lexical"].rows.get(i, {})
            total = np.float32(0.0)
            for term, w in weights.items():
                value = stored.get(term)
                if value is not None:
                    total += np.float32(w) * np.float32(value)
            out[n] = total
        return out

    def all_vectors(self, kind: str, ids: np.ndarray) -> np.ndarray:
        """Many rows' vectors (an update copies the kept ones), read in batches, not cached."""
        out = np.zeros((len(ids), 0), dtype=np.float32)
        parts = []
        for at in range(0, len(ids), FETCH_BATCH):
            part = np.asarray(ids[at:at + FETCH_BATCH], dtype=np.int64).tolist()
            rows = _call(f"read {self.names[kind]}", self.client.get, self.names[kind], ids=part, output_fields=["vector"])
            found = {int(r["id"]): r["vector"] for r in rows}
            if len(found) != len(part):
                raise IndexCorruptError(f"Milvus collection {self.names[kind]} lacks rows: rebuild the index.")
            parts.append(np.asarray([found[i] for i in part], dtype=np.float32))
        return np.vstack(parts) if parts else out


def _ordered(hits: Any) -> np.ndarray:
    """Hit ids best first, equal scores by id."""
    ids = np.fromiter((hit["id"] for hit in hits), dtype=np.int64)
    scores = np.fromiter((hit["distance"] for hit in hits), dtype=np.float64, count=len(ids))
    return ids[np.lexsort((ids, -scores))]


__all__ = ["KINDS", "TOKEN_ENV", "MilvusError", "MilvusVectors", "MilvusWriter", "collection_names", "connect",
           "drop_unused", "normalise_uri"]
