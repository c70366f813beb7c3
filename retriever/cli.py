"""The ``factcheck`` command: build an index, search it, ask it questions."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Sequence

from index.config import MILVUS_TOKEN_ENV, SEEDS_DIR, Settings, default_index_dir
from index.errors import FactCheckError
from index.text import one_line

from .terminal import fill, wrap

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="factcheck",
        description="Offline multilingual fact-checking over news articles: hybrid search and cited answers.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=textwrap.dedent(f"""\
            examples:
              factcheck ask "2024年营收是多少？"
              factcheck ask "How many people died in the flood?" --json
              factcheck index --corpus ~/articles --index ~/articles-index
              factcheck ask "..." --index ~/articles-index
              factcheck audit --index ~/articles-index        # what do the sources disagree on?

            The default index is {default_index_dir()} (set FACTCHECK_INDEX_DIR to move it);
            it is built from {SEEDS_DIR} the first time it is needed."""),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens (to stderr)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="build (or rebuild) an index from a folder of .txt/.md files")
    p.add_argument("--corpus", type=Path, default=None, metavar="DIR", help=f"folder of articles (default: {SEEDS_DIR})")
    p.add_argument("--index", type=Path, default=None, metavar="DIR", help="where to write the index (default: %(default)s → project .factcheck/index)")
    p.add_argument("--embedder", default=None, metavar="NAME", help="use-m (default), e5-small, or st:<path or package>")
    p.add_argument("--chunk-size", type=int, default=None, metavar="CHARS", help="target chunk length in characters (default 220)")
    p.add_argument("--chunk-overlap", type=int, default=None, metavar="CHARS", help="characters shared by neighbouring chunks (default 60)")
    p.add_argument("--threads", type=int, default=None, help="BLAS/OpenMP threads for embedding (default 1)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes that embed while the corpus is chunked (default: this machine's cores; "
                        "a corpus of under ~8,000 texts is embedded in one process)")
    p.add_argument("--backend", choices=("local", "milvus"), default=None,
                   help="where the vectors and BM25 weights live: local files (default; a rebuild keeps the "
                        "index's) or Milvus (pip install -e '.[milvus]'); every later command reads it from "
                        "the index, so the same --index DIR works")
    p.add_argument("--milvus-uri", default=None, metavar="URI",
                   help="with --backend milvus: a Milvus Lite database path ending in .db (embedded, one "
                        "process at a time), or http://host:19530 for a Milvus server or cluster")

    for name, helptext in (("ask", "answer a question with cited sentences"), ("search", "show the best passages for a question")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("question", nargs="?", default=None, help="the question")
        p.add_argument("-k", type=int, default=5, help="passages to retrieve (default 5)")
        output = p.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="print JSON instead of text")
        if name == "ask":
            output.add_argument("--markdown", action="store_true",
                                help="print the answer as Markdown (answer, values, sources, quotes, dates)")
        p.add_argument("--index", type=Path, default=None, metavar="DIR", help="index directory (default: the project's)")
        p.add_argument("--no-rebuild", action="store_true", help="fail instead of rebuilding a missing or out-of-date index")

    p = sub.add_parser("add", help="add .txt/.md files to the corpus and the index (only they are embedded)")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--index", type=Path, default=None, metavar="DIR", help="index directory (default: the project's)")

    p = sub.add_parser("remove", help="remove documents from the index (their files move to <corpus>/.removed/)")
    p.add_argument("doc_ids", nargs="+", metavar="DOC_ID")
    p.add_argument("--index", type=Path, default=None, metavar="DIR", help="index directory (default: the project's)")

    p = sub.add_parser("ui", help="open the chat in a browser (Gradio); builds the index first if needed")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only; any other needs --auth)")
    p.add_argument("--auth", type=_credentials, default=None, metavar="USER:PASSWORD",
                   help="require this log-in (visible to local users in the process list)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--index", type=Path, default=None, metavar="DIR", help="index directory (default: the project's)")
    p.add_argument("--share", action="store_true", help="also create a public Gradio share link (off by default)")
    p.add_argument("--no-indexing", action="store_true", help=argparse.SUPPRESS)  # accepted: the chat no longer indexes

    p = sub.add_parser("info", help="describe the index: embedder, counts, corpus, freshness")
    p.add_argument("--index", type=Path, default=None, metavar="DIR")
    p.add_argument("--json", action="store_true", help="print JSON instead of a summary")

    p = sub.add_parser("audit", help="list every fact the sources disagree on (and agree on), without a question",
                       description="Scan the whole index for values that different sources state for the same fact "
                                   "(same subject, measure and period) and list the disagreements, strongest first, "
                                   "each value with its publishers, dates and quoted sentences; then the facts two or "
                                   "more sources agree on. Rounding, hedges, other periods and other measures are not "
                                   "disagreements (the same rules as ask).")
    p.add_argument("--index", type=Path, default=None, metavar="DIR", help="index directory (default: the project's)")
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON (AuditReport.to_dict()) instead of text")
    output.add_argument("--markdown", action="store_true", help="print the audit as Markdown")
    p.add_argument("--min-sources", type=int, default=2, metavar="N",
                   help="list corroborated facts stated by at least N sources (default 2)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="show at most N disagreements and N corroborated facts in text (default: all)")
    p.add_argument("--no-rebuild", action="store_true", help="fail instead of rebuilding a missing or out-of-date index")

    p = sub.add_parser("mcp", help="serve search, ask and audit as MCP tools over stdio (pip install -e '.[mcp]')")
    p.add_argument("--index", type=Path, default=None, metavar="DIR", help="index directory (default: the project's)")
    p.add_argument("--no-rebuild", action="store_true", help="fail instead of rebuilding a missing or out-of-date index")
    for command in sub.choices.values():  # every command that opens an index may reach a Milvus server
        command.add_argument("--milvus-token", default=None, metavar="TOKEN",
                             help=f"token for a Milvus server (user:password or an API key); never written "
                                  f"to the index. Safer: set ${MILVUS_TOKEN_ENV} instead (the flag is "
                                  f"visible in the process list)")
    return parser


def _credentials(text: str) -> tuple[str, str]:
    user, _, password = text.partition(":")
    if not user or not password:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD")
    return user, password


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.command:
        parser.print_help()
        return 0
    if args.command in ("ask", "search") and args.question is None:  # no built-in question: say how
        sub = next(a for a in parser._subparsers._group_actions if a.dest == "command")  # type: ignore[union-attr]
        sub.choices[args.command].print_usage(sys.stderr)
        print(f'factcheck: error: {args.command} needs a question, e.g. factcheck {args.command} "2024年营收是多少？"',
              file=sys.stderr)
        return 2
    if getattr(args, "milvus_token", None):  # read by whatever opens the index, in this process only
        os.environ[MILVUS_TOKEN_ENV] = args.milvus_token
    try:
        if args.command == "index":
            return _index(args)
        if args.command == "info":
            return _info(args)
        if args.command == "ui":
            return _ui(args)
        if args.command == "mcp":
            return _mcp(args)
        if args.command == "audit":
            return _audit(args)
        if args.command in ("add", "remove"):
            return _update(args)
        return _ask(args)
    except FactCheckError as exc:
        print(f"factcheck: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("factcheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


def _index(args: argparse.Namespace) -> int:
    from index.store import build_index

    if args.chunk_size is not None and args.chunk_size < 20:
        raise FactCheckError("--chunk-size must be at least 20 characters")
    if args.workers is not None and not 1 <= args.workers <= 64:
        raise FactCheckError("--workers must be between 1 and 64")
    workers = args.workers or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    if args.milvus_uri and args.backend not in (None, "milvus"):
        raise FactCheckError("--milvus-uri goes with --backend milvus")
    backend, uri = ("milvus" if args.milvus_uri else args.backend), args.milvus_uri
    if backend is None:  # a rebuild stays where the index was
        from index.store import recorded_source

        recorded = recorded_source(args.index or default_index_dir())
        backend, uri = recorded.get("backend"), recorded.get("milvus_uri")
    settings = Settings().with_(corpus_dir=args.corpus, index_dir=args.index, embedder=args.embedder,
                                chunk_size=args.chunk_size, chunk_overlap=args.chunk_overlap, threads=args.threads,
                                workers=workers, backend=backend, milvus_uri=uri)
    if not 0 <= settings.chunk_overlap < settings.chunk_size:
        raise FactCheckError("--chunk-overlap must be at least 0 and smaller than --chunk-size")
    from index.embedders import check_name

    check_name(settings.embedder)
    where = f" (vectors in Milvus at {settings.milvus_uri})" if settings.backend == "milvus" else ""
    print(f"Indexing {settings.corpus_dir} with {settings.embedder} into {settings.index_dir}{where}", file=sys.stderr)
    started = time.perf_counter()
    index, problems = build_index(settings, progress=True)
    _print_skipped(p.reason for p in problems)
    counts = index.manifest["counts"]
    print(f"Indexed {counts['documents']} documents, {counts['chunks']} chunks, {counts['sentences']} sentences "
          f"in {time.perf_counter() - started:.1f}s → {settings.index_dir}")
    return 0


def _update(args: argparse.Namespace) -> int:
    from retriever.factchecker import FactChecker

    fc = FactChecker.load(index_dir=args.index, progress=True)
    report = fc.add(args.files) if args.command == "add" else fc.remove(args.doc_ids)
    for line in report["skipped"]:
        print(f"skipped: {one_line(line)}", file=sys.stderr)
    done = report["added"] if args.command == "add" else report["removed"]
    verb = "Added" if args.command == "add" else "Removed"
    counts = fc.index.manifest["counts"]
    names = ": " + ", ".join(one_line(d) for d in done) if done else ""
    embedded = f" ({report['embedded']} new texts embedded)" if args.command == "add" else ""
    print(f"{verb} {len(done)} document(s){names}{embedded}; "
          f"the index now holds {counts['documents']} documents, {counts['chunks']} passages.")
    return 0


def _ui(args: argparse.Namespace) -> int:
    from retriever.factchecker import FactChecker
    from ui.app import launch, require_auth
    from ui.guard import is_loopback

    if not 0 < args.port < 65536:
        raise FactCheckError("--port must be between 1 and 65535")
    require_auth(args.host, args.auth)
    if not is_loopback(args.host):
        print(f"warning: serving on {args.host}: other machines can reach the chat on port {args.port} and "
              f"log in with the --auth password, which travels unencrypted (plain HTTP).", file=sys.stderr)
    print("Loading the index (building it on first use) …", file=sys.stderr)
    fc = FactChecker.load(index_dir=args.index, progress=True)
    app = launch(fc, host=args.host, port=args.port, share=args.share, auth=args.auth, block=False)
    counts = fc.index.manifest["counts"]
    print(f"Index {fc.status}: {counts['documents']} documents, {counts['chunks']} passages "
          f"({fc.index.embedder_name}). Open http://{args.host}:{args.port} in a browser.", file=sys.stderr)
    app.block_thread()
    return 0


def _mcp(args: argparse.Namespace) -> int:
    from retriever.adapters.mcp import serve  # first: without the extra, fail before loading the index
    from retriever.factchecker import FactChecker

    fc = FactChecker.load(index_dir=args.index, rebuild=not args.no_rebuild)
    counts = fc.index.manifest["counts"]
    print(f"Serving {fc.index.directory} ({fc.status}: {counts['documents']} documents, {counts['chunks']} passages) "
          f"as MCP tools on stdio.", file=sys.stderr)
    serve(fc)
    return 0


def _audit(args: argparse.Namespace) -> int:
    from retriever.audit import audit_text
    from retriever.factchecker import FactChecker

    if args.min_sources < 2:
        raise FactCheckError("--min-sources must be at least 2 (a fact is compared only when two sources state it)")
    if args.limit is not None and args.limit < 1:
        raise FactCheckError("--limit must be at least 1")
    fc = FactChecker.load(index_dir=args.index, rebuild=not args.no_rebuild, progress=True)
    if fc.status.startswith(("built", "rebuilt")):
        print(f"(index {fc.status})", file=sys.stderr)
    report = fc.audit(min_sources=args.min_sources, progress=sys.stderr.isatty())
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    elif args.markdown:
        print(report.to_markdown(), end="")
    else:
        print(audit_text(report.to_dict(), WIDTH, args.limit))
    return 0


def _print_skipped(reasons) -> None:  # type: ignore[no-untyped-def]
    """Each file left out of the index, once, in one style (the library only logs them at debug)."""
    for reason in dict.fromkeys(reasons):
        print(f"skipped: {one_line(reason)}", file=sys.stderr)


def _info(args: argparse.Namespace) -> int:
    from index.store import read_manifest, stale_reasons

    directory = args.index or default_index_dir()
    manifest = read_manifest(directory)
    reasons = stale_reasons(manifest)
    data = {
        "index_dir": str(directory),
        "embedder": manifest["embedder"],
        "chunker": manifest["chunker"],
        "counts": manifest["counts"],
        "backend": {k: v for k, v in (manifest.get("backend") or {"kind": "local"}).items() if k != "collections"},
        "corpus": manifest["corpus"]["dir"],
        "created_at": manifest.get("created_at"),
        "build_seconds": manifest.get("build_seconds"),
        "up_to_date": not reasons,
        "stale_reasons": reasons,
    }
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    counts, emb, chunker = data["counts"], data["embedder"], data["chunker"]
    skipped = manifest.get("skipped") or []
    lines = [
        f"Index:    {one_line(directory)}",
        f"Corpus:   {one_line(data['corpus'])}",
        f"Holds:    {counts.get('documents', 0)} documents, {counts.get('chunks', 0)} passages, "
        f"{counts.get('sentences', 0)} sentences" + (f" ({len(skipped)} files skipped)" if skipped else ""),
        f"Embedder: {one_line(emb.get('name'))} ({emb.get('dim')}-d); passages of ~{chunker.get('size')} characters",
        "Vectors:  " + ("in this folder" if data["backend"].get("kind") != "milvus"
                        else f"in Milvus at {one_line(data['backend'].get('uri'))}"),
        f"Built:    {data['created_at']}" + (f" in {data['build_seconds']:.1f} s" if data["build_seconds"] else ""),
        "Status:   up to date" if not reasons else "Status:   out of date (rebuilt when next used):",
    ]
    lines += [line for r in reasons for line in wrap(one_line(r), 78, "  - ", "    ")]
    lines.append("(factcheck info --json for all of it as JSON)")
    print("\n".join(lines))
    return 0


def _ask(args: argparse.Namespace) -> int:
    from retriever.factchecker import MAX_K, FactChecker, clean_question

    question = args.question
    if question is None:
        raise FactCheckError(f'{args.command} needs a question, e.g. factcheck {args.command} "2024年营收是多少？"')
    if not 1 <= args.k <= MAX_K:
        raise FactCheckError(f"-k must be between 1 and {MAX_K}")
    question = clean_question(question)  # refuse a bad question before loading anything
    fc = FactChecker.load(index_dir=args.index, rebuild=not args.no_rebuild, progress=True)
    if fc.status.startswith(("built", "rebuilt")):
        print(f"(index {fc.status})", file=sys.stderr)
        _print_skipped(s.get("reason", "") for s in fc.index.manifest.get("skipped") or [])
    if args.command == "search":
        passages = fc.search(question, k=args.k)
        if args.json:
            print(json.dumps([p.to_dict() for p in passages], ensure_ascii=False, indent=2))
        else:
            for p in passages:
                print(f"{p.rank}. {_source_line(p.source)}  score {p.score:.3f}")
                print(fill(p.text, WIDTH, "   "))
        return 0
    answer = fc.ask(question, k=args.k)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    elif args.markdown:
        print(answer.to_markdown(), end="")
    else:
        print(render_answer(answer))
    return 0


WIDTH = 78  # columns of text output


def _source_line(source: dict) -> str:
    """Who (publisher, else byline, else file name), the article's date, script, and the document id."""
    from retriever.answer import source_name

    parts = [source_name(source), f"article {source.get('date') or 'undated'}"]
    if source.get("script"):
        parts.append(str(source["script"]))
    parts.append(str(source.get("doc_id", "")))
    return one_line(" · ".join(parts))


def render_answer(answer) -> str:  # type: ignore[no-untyped-def]
    """Plain-text form of an :class:`~retriever.answer.Answer` for the terminal: the one-line
    answer first, then each value and its quotes, then the sources; wrapped at spaces or between
    CJK characters only."""
    lines = wrap(f"Q: {one_line(answer.question)}", WIDTH, "", "   ")
    lines += wrap(f"A: {answer.headline}", WIDTH, "", "   ")
    lines += [f"Verdict: {answer.verdict.value} ({answer.verdict.title})"]
    if answer.details:
        lines += [""] + wrap(answer.details, WIDTH, "", "  ")
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            lines += wrap(f"[{c.n}] {_source_line(c.source)} · chars {c.start}-{c.end}", WIDTH, "", "  ")
            lines += wrap(one_line(c.quote), WIDTH, "    ")
    for note in answer.notes:
        lines += wrap(f"note: {one_line(note)}", WIDTH, "", "  ")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
