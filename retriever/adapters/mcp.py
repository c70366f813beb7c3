"""MCP: the library as Model Context Protocol tools over stdio (``pip install -e '.[mcp]'``).

``factcheck mcp --index DIR`` loads the index once and serves three tools: ``search`` returns
:meth:`Passage.to_dict` for each passage, ``ask`` returns :meth:`Answer.to_dict` and ``audit``
returns :meth:`AuditReport.to_dict`, the same JSON ``factcheck search/ask/audit --json`` prints. A bad question comes back as a tool error with the
library's message. Stdout carries the protocol; logs go to stderr.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from index.errors import ExtraNotInstalledError, FactCheckError
from index.text import one_line

from ..factchecker import MAX_K, FactChecker

try:
    from mcp.server import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError as exc:
    raise ExtraNotInstalledError(
        "The MCP server needs the mcp package, which is not installed. "
        "From a checkout of this project: pip install -e '.[mcp]'"
    ) from exc

__all__ = ["build_server", "serve"]

T = TypeVar("T")

INSTRUCTIONS = (
    "Fact-check against a local archive of news articles. `ask` answers a question with sentences quoted "
    "verbatim from the articles, each cited (document id, character span), compares the figures or dates "
    "the sources give, and says whether they conflict, agree, come from a single source, are only quoted, "
    "or are not found. `search` returns the best passages only. `audit` needs no question: it lists every "
    "fact the sources disagree on, with citations."
)


def build_server(checker: FactChecker) -> MCPServer:
    """An MCP server whose ``search`` and ``ask`` tools call ``checker``."""
    server = MCPServer("factcheck", instructions=INSTRUCTIONS)

    def run(method: Callable[[str, int], T], question: str, k: int) -> T:
        checker.refresh()  # documents added or removed meanwhile (`factcheck add`) are seen without a restart
        try:
            return method(question, k)
        except FactCheckError as exc:
            raise ToolError(one_line(exc)) from exc

    @server.tool(description=f"The k passages (1 to {MAX_K}) that best match the question, best first, "
                             "each with its text, doc_id, character span, scores and source (publisher, date).")
    def search(question: str, k: int = 5) -> list[dict[str, Any]]:
        return [p.to_dict() for p in run(checker.search, question, k)]

    @server.tool(description=f"Answer the question from the k best passages (1 to {MAX_K}): verdict (conflict, "
                             "consistent, single_source, quoted, not_found), answer text with [n] markers, the values "
                             "each source states (check), and citations with doc_id, character span and quote.")
    def ask(question: str, k: int = 5) -> dict[str, Any]:
        return run(checker.ask, question, k).to_dict()

    @server.tool(description="Audit the whole archive without a question: every fact (same subject, measure and "
                             "period) that two or more sources state with values that disagree, strongest first, each "
                             "value with its sources (publisher, date, quoted sentence, doc_id and character span) and "
                             "a question to ask about it; then the facts at least min_sources sources agree on.")
    def audit(min_sources: int = 2) -> dict[str, Any]:
        checker.refresh()
        try:
            return checker.audit(min_sources=min_sources).to_dict()
        except FactCheckError as exc:
            raise ToolError(one_line(exc)) from exc

    return server


def serve(checker: FactChecker) -> None:
    """Serve ``checker`` over stdio until the client closes the connection."""
    build_server(checker).run("stdio")
