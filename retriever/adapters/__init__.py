"""Thin adapters from :class:`~retriever.FactChecker` to frameworks, each an optional extra.

``retriever.adapters.langchain`` (``pip install -e '.[langchain]'``) and ``retriever.adapters.mcp``
(``pip install -e '.[mcp]'``) are imported only when asked for; without their package they raise
:class:`~index.errors.ExtraNotInstalledError` with that install line.
"""
