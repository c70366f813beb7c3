"""Synthetic use-m-like vectors for sizes we cannot embed here (1M chunks would take hours on two
cores): each text gets, deterministically from its hash, a real use-m vector of the cached corpus
plus 0.35 × another real one plus Gaussian noise (norm ≈ 0.3), renormalised. The same text always
gets the same vector, as from a real embedder; the vectors lie among the real ones (mixtures of
them), so searches over them cost what real ones cost. Their neighbourhoods are not real: recall
measured on them is an estimate, and every number that depends on them is labelled synthetic.
"""

from __future__ import annotations

import hashlib

import numpy as np

MIX = 0.35
NOISE = 0.3
TABLE = 65_536


class Synthesiser:
    """Vectors for texts (or for integer keys) from ``base``, a ``(n, d)`` array of real unit vectors."""

    def __init__(self, base: np.ndarray, seed: int = 13) -> None:
        self.base = np.asarray(base, dtype=np.float32)
        n, d = self.base.shape
        rng = np.random.default_rng(seed)
        self.noise = (rng.standard_normal((TABLE, d)) * (NOISE / np.sqrt(d))).astype(np.float32)

    def for_keys(self, keys: np.ndarray) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.uint64)
        n = np.uint64(len(self.base))
        i = (keys % n).astype(np.int64)
        j = ((keys // n) % n).astype(np.int64)
        k = ((keys >> np.uint64(40)) % np.uint64(TABLE)).astype(np.int64)
        v = self.base[i] + MIX * self.base[j] + self.noise[k]
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        return v.astype(np.float32)

    def for_texts(self, texts: list[str]) -> np.ndarray:
        keys = np.fromiter((int.from_bytes(hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                                           "little") for t in texts), dtype=np.uint64, count=len(texts))
        return self.for_keys(keys)
