"""The one configuration object. The CLI and the UI only fill it in."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

#: The checkout this package lives in (an editable install keeps it there).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"


#: the environment variable a Milvus token is read from (it is never written to disk)
MILVUS_TOKEN_ENV = "FACTCHECK_MILVUS_TOKEN"


def cache_dir() -> Path:
    """Where derived, rebuildable files live: ``$FACTCHECK_CACHE``, else ``~/.cache/factcheck``."""
    env = os.environ.get("FACTCHECK_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "factcheck"


def default_index_dir() -> Path:
    """`$FACTCHECK_INDEX_DIR`, else `.factcheck/index` inside the project."""
    env = os.environ.get("FACTCHECK_INDEX_DIR")
    return Path(env) if env else PROJECT_ROOT / ".factcheck" / "index"


@dataclass(frozen=True)
class Settings:
    """Everything that shapes an index or a search, with defaults.

    Args:
        corpus_dir: folder of ``.txt``/``.md`` files to index.
        index_dir: where the index lives.
        embedder: ``use-m``, ``e5-small`` or ``st:<path or package>``.
        chunk_size: target chunk length in characters (a few Chinese sentences).
        chunk_overlap: characters shared by neighbouring chunks.
        threads: BLAS/OpenMP threads for embedding and FAISS.
        workers: processes that embed while a build chunks and tokenizes (1: embed in this
            process). Used for a corpus of several batches, and only with an embedder loaded by
            name.
        k: passages returned by default.
        lexical_weight: weight of BM25 in the fused score when every content
            word of the query is in the corpus vocabulary; it shrinks with the
            share of query words the corpus knows (English questions get ~0
            unless they name something the articles spell the same way).
        sentence_weight: share of a passage's dense score taken from its best sentence.
        candidates: how many candidates each side contributes before fusion.
        bridge_weight: weight of a question's words carried into the corpus' other language
            (English ↔ Chinese, by dictionary) on the lexical side, against 1 for its own words.
        cross_bridge_weight: the same weight for a question asked in a language the corpus does
            not hold, whose glosses are its only lexical evidence (seeds' English questions: 0.5
            / 0.75 / 1.0 measured, 1.0 with ``cross_centring`` the only one reaching hit@5 0.96
            and R@1 0.85).
        cross_centring: for such a question, rank dense similarities with the corpus' mean
            direction taken out of both vectors (:mod:`retriever.search`).
        lead_weight: lexical weight, in a passage that lacks it, of a question word that its
            document's first sentence holds (a passage leaves its subject to the title or the
            paragraph's opening). Measured 0.2 / 0.3 / 0.45 / 0.6: 0.2 is the largest that changes
            no verdict of the seeds, topics or generality sets (0.3 lost a seeds 'consistent').
        dense_index: how chunk vectors are searched: ``flat`` (exact), ``hnsw`` (approximate,
            FAISS ``IndexHNSWFlat`` or Milvus ``HNSW``), or ``auto``: HNSW for a corpus of
            ``hnsw_from`` chunks or more (estimated from its length before the build), flat below.
            The choice is recorded in the manifest. ``bench/ann.py`` measured the default: see the
            README's scale table.
        hnsw_from: chunks from which ``auto`` picks HNSW.
        hnsw_m: HNSW links per vector.
        hnsw_ef_construction: HNSW candidate list while building.
        hnsw_ef_search: HNSW candidate list while searching (at least the search depth).
        backend: where a build puts the vectors and BM25 weights: ``local`` (FAISS + bm25s files in
            the index folder) or ``milvus`` (:mod:`index.milvus`; later commands read it from the
            index's manifest).
        milvus_uri: a Milvus Lite path ending in ``.db``, or ``http://host:19530``.
        milvus_token: the Milvus token (``user:password`` or an API key); never written to disk.
            Default: ``$FACTCHECK_MILVUS_TOKEN``.
    """

    corpus_dir: Path = SEEDS_DIR
    index_dir: Path = field(default_factory=default_index_dir)
    embedder: str = "use-m"
    chunk_size: int = 220
    chunk_overlap: int = 60
    threads: int = 1
    workers: int = 1
    k: int = 5
    lexical_weight: float = 0.75
    sentence_weight: float = 0.3
    candidates: int = 50
    bridge_weight: float = 0.5
    cross_bridge_weight: float = 1.0
    cross_centring: bool = True
    lead_weight: float = 0.2
    dense_index: str = "auto"
    hnsw_from: int = 250_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 4096
    backend: str = "local"
    milvus_uri: str | None = None
    milvus_token: str | None = field(default_factory=lambda: os.environ.get(MILVUS_TOKEN_ENV) or None,
                                     repr=False)

    def with_(self, **changes: object) -> "Settings":
        """A copy with some fields changed; ``None`` values are ignored."""
        clean = {k: v for k, v in changes.items() if v is not None}
        for key in ("corpus_dir", "index_dir"):
            if key in clean:
                clean[key] = Path(clean[key]).expanduser()  # type: ignore[arg-type]
        return replace(self, **clean)  # type: ignore[arg-type]
