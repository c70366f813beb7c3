"""The framework adapters against their real frameworks: a LangChain LCEL chain with a fake chat
model from ``langchain_core``, and ``factcheck mcp`` driven by the MCP SDK's own stdio client.
Both must return exactly what :class:`~retriever.FactChecker` returns."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from retriever import QuestionError
from retriever.adapters.langchain import FactCheckRetriever, format_docs

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFLICT = "智譜的企業客戶有多少家？"  # the sources disagree; four articles are cited
QUOTED = "智谱为什么选择在香港上市？"  # a why question: sentences quoted, nothing compared


def python(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter of this venv (the project importable, as under pytest)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


# --------------------------------------------------------------------------- LangChain


class PromptRecorder(BaseCallbackHandler):
    """Keeps the messages every chat model in a chain is given."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[Any]], **kwargs: Any) -> None:
        self.prompts.extend(str(m.content) for batch in messages for m in batch)


def test_documents_are_the_passages_with_their_metadata(fc):
    docs = FactCheckRetriever(checker=fc, k=5).invoke(CONFLICT)
    passages = fc.search(CONFLICT, k=5)
    assert len(docs) == 5
    for doc, passage in zip(docs, passages):
        expected = passage.to_dict()
        assert doc.page_content == expected.pop("text")
        assert doc.metadata == expected
        start, end = doc.metadata["span"]
        assert doc.page_content == fc.index.documents[doc.metadata["doc_id"]].text[start:end]
        assert doc.metadata["source"]["publisher"] and doc.metadata["source"]["date"]
        assert doc.id == f"{passage.doc_id}#{passage.chunk_id}"


def test_lcel_chain_gives_the_model_the_cited_passages_and_spans(fc):
    k = 8
    retriever = FactCheckRetriever(checker=fc, k=k)
    prompt = ChatPromptTemplate.from_messages([
        ("system", "Answer only from these passages and cite them as [n].\n\n{context}"),
        ("human", "{question}"),
    ])
    model = FakeListChatModel(responses=["The sources disagree [1][2]."])
    context = retriever | RunnableLambda(format_docs)
    chain = {"context": context, "question": RunnablePassthrough()} | prompt | model | StrOutputParser()
    recorder = PromptRecorder()

    assert chain.invoke(CONFLICT, config={"callbacks": [recorder]}) == "The sources disagree [1][2]."
    sent = "\n".join(recorder.prompts)
    assert CONFLICT in sent
    docs = retriever.invoke(CONFLICT)
    for n, doc in enumerate(docs, 1):
        start, end = doc.metadata["span"]
        assert doc.page_content == fc.index.documents[doc.metadata["doc_id"]].text[start:end]
        assert f"[{n}] {doc.metadata['doc_id']} chars {start}-{end} · " in sent
        assert doc.page_content in sent
    # every sentence the checked answer cites from these passages reached the model, inside its passage
    answer = fc.ask(CONFLICT, k=k)
    cited = [c for c in answer.citations if c.passage_rank <= k]
    assert len({c.doc_id for c in cited}) >= 2, answer.to_dict()["citations"]
    for c in cited:
        doc = docs[c.passage_rank - 1]
        start, end = doc.metadata["span"]
        assert doc.metadata["doc_id"] == c.doc_id and start <= c.start < c.end <= end
        assert doc.page_content[c.start - start:c.end - start] == c.quote
        assert c.quote in sent


@pytest.mark.parametrize("question", [CONFLICT, QUOTED])
def test_check_is_the_library_answer(fc, question):
    data = FactCheckRetriever(checker=fc, k=5).check(question)
    assert data == fc.ask(question, k=5).to_dict()
    assert data["citations"] and data["verdict"] in ("conflict", "quoted")
    json.dumps(data)  # JSON-ready as it is


def test_retriever_refuses_a_bad_question_with_the_library_error(fc):
    with pytest.raises(QuestionError, match="empty"):
        FactCheckRetriever(checker=fc).invoke("   ")
    with pytest.raises(QuestionError, match="from 1 to 100"):
        FactCheckRetriever(checker=fc, k=0).invoke(QUOTED)


def test_without_langchain_the_error_says_what_to_install():
    result = python(
        "import sys\n"
        "sys.modules['langchain_core'] = None  # as if it were not installed\n"
        "from index.errors import ExtraNotInstalledError, FactCheckError\n"
        "try:\n"
        "    import retriever.adapters.langchain\n"
        "except ExtraNotInstalledError as exc:\n"
        "    assert isinstance(exc, FactCheckError) and isinstance(exc, ImportError)\n"
        "    print(exc)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "langchain-core" in result.stdout and "pip install -e '.[langchain]'" in result.stdout


# --------------------------------------------------------------------------- MCP


def run_session(exe: Path, index_dir: Path, talk: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    """Start ``factcheck mcp --index index_dir`` through the SDK's stdio client and ``talk`` to it."""
    server = StdioServerParameters(command=str(exe), args=["mcp", "--index", str(index_dir), "--no-rebuild"],
                                   env=dict(os.environ))

    async def main() -> Any:
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return await talk(session)

    return asyncio.run(asyncio.wait_for(main(), timeout=120))


def test_mcp_tools_return_what_the_library_returns(fc, factcheck_exe, cli_index_dir):
    async def talk(session: ClientSession) -> dict[str, Any]:
        return {
            "tools": {t.name: t for t in (await session.list_tools()).tools},
            "search": await session.call_tool("search", {"question": CONFLICT, "k": 3}),
            "ask": await session.call_tool("ask", {"question": CONFLICT}),
        }

    got = run_session(factcheck_exe, cli_index_dir, talk)
    assert set(got["tools"]) == {"search", "ask", "audit"}
    for tool in (got["tools"]["search"], got["tools"]["ask"]):
        assert tool.input_schema["required"] == ["question"]
        assert tool.input_schema["properties"]["k"]["default"] == 5

    search, ask = got["search"], got["ask"]
    assert not search.is_error and not ask.is_error
    passages = [p.to_dict() for p in fc.search(CONFLICT, k=3)]
    assert search.structured_content == {"result": passages}
    assert [json.loads(c.text) for c in search.content] == passages

    answer = fc.ask(CONFLICT, k=5).to_dict()
    assert answer["verdict"] == "conflict"
    assert ask.structured_content == answer
    assert json.loads(ask.content[0].text) == answer  # what an assistant reads as text


def test_mcp_bad_input_is_a_tool_error_with_the_library_message(factcheck_exe, cli_index_dir):
    bad = [
        ("ask", {"question": "   "}, "The question is empty"),
        ("search", {"question": ""}, "The question is empty"),
        ("ask", {"question": "?!", "k": 5}, "only symbols"),
        ("ask", {"question": QUOTED, "k": 0}, "k (passages to read) must be a whole number from 1 to 100"),
        ("search", {"question": QUOTED, "k": 101}, "from 1 to 100"),
        ("search", {"question": "智" * 2001}, "the limit is 2,000"),
    ]

    async def talk(session: ClientSession) -> list[Any]:
        results = [await session.call_tool(name, args) for name, args, _ in bad]
        return results + [await session.call_tool("ask", {"question": QUOTED})]  # still serving

    *errors, after = run_session(factcheck_exe, cli_index_dir, talk)
    for (name, _, message), result in zip(bad, errors):
        assert result.is_error, (name, result)
        text = result.content[0].text
        assert message in text and "Traceback" not in text, text
    assert not after.is_error and after.structured_content["citations"]


def test_mcp_server_sees_documents_added_while_it_runs(factcheck_exe, small_index, tmp_path, corpus_writer):
    from retriever import FactChecker

    settings, _ = small_index
    question = "天文台的望远镜口径是多少？"
    new = corpus_writer(tmp_path / "incoming",
                        {"observatory.txt": "白鹭天文台的主望远镜口径为2.4米，于2019年建成。\n"})

    async def talk(session: ClientSession) -> tuple[Any, Any]:
        before = await session.call_tool("search", {"question": question, "k": 1})
        FactChecker.load(index_dir=settings.index_dir, rebuild=False).add([new / "observatory.txt"])
        return before, await session.call_tool("search", {"question": question, "k": 1})

    before, after = run_session(factcheck_exe, Path(settings.index_dir), talk)
    assert before.structured_content["result"][0]["doc_id"] != "observatory"
    assert after.structured_content["result"][0]["doc_id"] == "observatory"


def test_mcp_without_the_sdk_says_what_to_install(tmp_path):
    # Simulated absence: the error must come before any index is looked for (none exists here).
    result = python(
        "import sys\n"
        "sys.modules['mcp'] = None  # as if it were not installed\n"
        "from retriever.cli import main\n"
        f"sys.exit(main(['mcp', '--index', {str(tmp_path / 'none')!r}, '--no-rebuild']))\n"
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("factcheck: error: The MCP server needs the mcp package")
    assert "pip install -e '.[mcp]'" in result.stderr
    assert result.stdout == ""


def test_mcp_subcommand_help(factcheck_exe):
    result = subprocess.run([str(factcheck_exe), "mcp", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--index" in result.stdout and "--no-rebuild" in result.stdout
    listed = subprocess.run([str(factcheck_exe), "--help"], capture_output=True, text=True, timeout=60).stdout
    assert re.search(r"^ +mcp +serve search, ask and audit as MCP tools", listed, flags=re.M), listed


def test_mcp_without_an_index_is_a_clean_error(factcheck_exe, tmp_path):
    result = subprocess.run([str(factcheck_exe), "mcp", "--index", str(tmp_path / "none"), "--no-rebuild"],
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and result.stderr.startswith("factcheck: error:"), result.stderr
    assert result.stdout == ""  # stdout is the protocol's


# --------------------------------------------------------------------------- import cost


def test_ask_imports_neither_framework(cli_index_dir):
    result = python(
        "import json, sys\n"
        "from retriever.cli import main\n"
        f"code = main(['ask', {QUOTED!r}, '--json', '--index', {str(cli_index_dir)!r}, '--no-rebuild'])\n"
        "assert code == 0\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert "retriever" in loaded and "faiss" in loaded  # it really answered
    assert not {"langchain_core", "langchain", "mcp"} & set(loaded)


def _without_timing(data: dict[str, Any]) -> dict[str, Any]:
    """The audit without what differs between two runs on two copies of one index."""
    return {**data, "index_dir": "", "counts": {k: v for k, v in data["counts"].items() if not k.endswith("seconds")}}


def test_mcp_audit_returns_the_library_audit(fc, factcheck_exe, cli_index_dir):
    async def talk(session: ClientSession) -> list[Any]:
        return [await session.call_tool("audit", {}), await session.call_tool("audit", {"min_sources": 1})]

    audit, bad = run_session(factcheck_exe, cli_index_dir, talk)
    assert not audit.is_error
    expected = fc.audit().to_dict()
    assert expected["disagreements"]
    assert _without_timing(audit.structured_content) == _without_timing(expected)
    assert bad.is_error and "min_sources must be a whole number of at least 2" in bad.content[0].text
