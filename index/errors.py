"""Exception types. Each message tells the user what to do next."""

from __future__ import annotations


class FactCheckError(Exception):
    """Base class for every error this project raises on purpose."""


class CorpusError(FactCheckError):
    """A corpus folder or one of its files cannot be used (missing, binary, undecodable...)."""


class EmbedderError(FactCheckError):
    """The chosen embedder is unknown or its optional package is not installed."""


class IndexNotFoundError(FactCheckError):
    """No index exists at the given directory."""


class IndexCorruptError(FactCheckError):
    """The index on disk is damaged or was edited; rebuild it with `factcheck index`."""


class IndexStaleError(FactCheckError):
    """The index no longer matches its corpus or the requested embedder."""


class IndexWriteError(FactCheckError, OSError):
    """The index could not be written (read-only folder, disk full...); the previous one is intact."""


class ExtraNotInstalledError(FactCheckError, ImportError):
    """An optional part (the LangChain or MCP adapter) needs a package that is not installed."""
