"""The Gradio chat: ask in Chinese or English, read cited answers and conflicts.

Presentation only: answers come from :class:`retriever.FactChecker`; HTML comes from
:mod:`ui.render`, which escapes all document text.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from index.corpus import read_examples
from index.errors import FactCheckError
from retriever.factchecker import MAX_QUESTION_CHARS

from .audit_html import AUDIT_CSS, AUDIT_INTRO, AUDIT_JS, audit_html
from .guard import LOOPBACK_NAMES, Guard, host_name, is_loopback
from .render import COPY_JS, CSS, HINT, SCRIPTS, conversation_html, info_markdown, kept

if TYPE_CHECKING:
    import gradio as gr

    from retriever import FactChecker

log = logging.getLogger(__name__)

# Memory per session (bench/ui_sessions.py): ~35 KiB of Gradio's own, ~12 KiB a turn (with the page).
MAX_TURNS = 20  # turns a session keeps, each only what re-rendering needs
MAX_SESSIONS = 200  # sessions the server keeps, the least recently used dropped first
SESSION_TTL = 6 * 3600  # seconds a conversation is kept after its last question
QUEUE_SIZE = 32
CONCURRENCY = 2
MAX_K = 20


def _gradio():  # type: ignore[no-untyped-def]
    try:
        import gradio as gr
    except ImportError:
        raise FactCheckError("The chat needs gradio: pip install 'gradio>=5,<7'") from None
    return gr


def _whole_k(value: object) -> int:
    """``k`` as a form or a program sends it (5, 5.0, "5"): a whole number from 1 to MAX_K."""
    try:
        k = math.nan if isinstance(value, bool) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        k = math.nan
    if not (k.is_integer() and 1 <= k <= MAX_K):
        raise FactCheckError(f"k must be a whole number between 1 and {MAX_K}")
    return int(k)


def build_app(fc: "FactChecker") -> "gr.Blocks":
    """The chat app around a loaded :class:`FactChecker`.

    No handler changes what is loaded: every user reads the same index, and what one user
    chooses (script, k, the conversation) lives in their own session.
    """
    gr = _gradio()

    def answer(question: str, k: object) -> dict:
        if isinstance(question, str) and len(question) > MAX_QUESTION_CHARS:  # refused before any work
            raise FactCheckError(f"The question is too long: at most {MAX_QUESTION_CHARS} characters.")
        k = _whole_k(k)
        fc.refresh()  # `factcheck add` / `remove` are seen without a restart
        return fc.ask(question, k=k).to_dict()

    def ask(question: str, k: int = 5) -> dict:
        """Answer a question from the articles; returns the JSON of Answer.to_dict()."""
        try:
            return answer(question, k)
        except FactCheckError as exc:
            raise gr.Error(str(exc)) from None

    def on_ask(question: str, k: float, script: str, history: list[dict]):  # type: ignore[no-untyped-def]
        history = list(history or [])
        if not isinstance(question, str) or not question.strip():  # a gentle hint, not an error
            return conversation_html(history, script, hint=HINT), history, ""
        try:
            turn = kept(answer(question, k))
        except FactCheckError as exc:  # e.g. a question of symbols only: said in the page, not logged
            log.info("question not answered: %s", exc)
            return conversation_html(history, script, hint=str(exc)), history, question
        history = (history + [turn])[-MAX_TURNS:]
        return conversation_html(history, script), history, ""

    def on_script(script: str, history: list[dict]) -> str:
        return conversation_html(history or [], script)

    audits: dict[tuple[int, int], dict] = {}  # the last audit of the loaded index (all users see the same)

    def on_audit(min_sources: float, script: str) -> str:
        try:
            wanted = int(min_sources)
            fc.refresh()
            key = (id(fc.index), wanted)
            if key not in audits:
                audits.clear()
                audits[key] = fc.audit(min_sources=wanted).to_dict()
            return audit_html(audits[key], script)
        except (FactCheckError, TypeError, ValueError) as exc:
            log.info("audit not run: %s", exc)
            return audit_html(None, note=str(exc))

    def loaded() -> str:
        fc.refresh()
        return info_markdown(fc.info())

    with gr.Blocks(title="factcheck — do the sources agree?") as app:
        gr.Markdown("## factcheck — what do the sources say, and do they agree?\n"
                    "Ask in Simplified Chinese, Traditional Chinese or English. Every answer starts with a "
                    "one-line answer, quotes the articles and cites them; conflicting sources are shown side by side.")
        history = gr.State([], time_to_live=SESSION_TTL)
        # Settings first and folded: on a phone they would otherwise end up below every answer.
        with gr.Accordion("Settings: passages to read, script, index", open=False, elem_id="fc-settings"):
            with gr.Row():
                k = gr.Slider(1, 10, value=5, step=1, label="Passages to read (k)", elem_id="fc-k")
                script = gr.Radio(list(SCRIPTS), value="Original", label="Show passages in", elem_id="fc-script")
            gr.Textbox(loaded, label="Index loaded", interactive=False, lines=4, elem_id="fc-info")
        with gr.Tabs(elem_id="fc-tabs"):
            with gr.Tab("Ask", id="ask", elem_id="fc-tab-ask"):
                with gr.Row(equal_height=True):
                    question = gr.Textbox(label="Question", placeholder="e.g. 2024年营收是多少？ / How many people died?",
                                          max_lines=4, max_length=MAX_QUESTION_CHARS, scale=5, elem_id="fc-question")
                    submit = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="fc-ask")
                examples = read_examples(Path(fc.info()["corpus_dir"]))
                if examples:  # the corpus' own (examples.json beside the articles), shown whole and wrapped
                    with gr.Column(elem_id="fc-examples"):
                        gr.Markdown("Examples from this corpus", elem_classes=["fc-examples-label"])
                        with gr.Row():
                            for example in examples:  # filled in the browser: no server round trip
                                gr.Button(example, size="sm", variant="secondary", scale=0, min_width=0,
                                          elem_classes=["fc-example"]).click(
                                    None, None, question, js=f"() => {json.dumps(example)}")
                conversation = gr.HTML(conversation_html([]), elem_id="fc-conversation", js_on_load=COPY_JS)
            with gr.Tab("Audit", id="audit", elem_id="fc-tab-audit"):
                # computed when asked for (a large archive takes a while), then kept for this index
                gr.Markdown(AUDIT_INTRO)
                with gr.Row(equal_height=True):
                    min_sources = gr.Slider(2, 5, value=2, step=1, label="Agreement: listed when at least this many "
                                            "sources state it", scale=3, elem_id="fc-audit-min")
                    run = gr.Button("Run audit", variant="primary", scale=1, min_width=100, elem_id="fc-audit-run")
                report = gr.HTML(audit_html(None), elem_id="fc-audit", js_on_load=AUDIT_JS)
        submit.click(on_ask, [question, k, script, history], [conversation, history, question], api_visibility="private")
        question.submit(on_ask, [question, k, script, history], [conversation, history, question], api_visibility="private")
        script.change(on_script, [script, history], [conversation], api_visibility="private")
        run.click(on_audit, [min_sources, script], [report], api_visibility="private")
        gr.api(ask, api_name="ask")
    return app


def require_auth(host: str, auth: tuple[str, str] | None) -> None:
    """Refuse to serve beyond this machine without a password."""
    if auth is None and not is_loopback(host):
        raise FactCheckError(f"Serving on {host} lets other machines use the chat: give it a password, "
                             f"factcheck ui --host {host} --auth USER:PASSWORD, or serve on 127.0.0.1.")


def launch(fc: "FactChecker", host: str = "127.0.0.1", port: int | None = None, share: bool = False,
           auth: tuple[str, str] | None = None, max_sessions: int = MAX_SESSIONS, block: bool = True) -> "gr.Blocks":
    """Start the chat: loopback only unless ``host`` says otherwise (then ``auth`` is required);
    no public link unless ``share``. A loopback server answers only requests for its own name."""
    require_auth(host, auth)
    _gradio()
    from starlette.middleware import Middleware

    hosts = (set(LOOPBACK_NAMES) | {host.strip("[]").lower()}) if is_loopback(host) else None
    app = build_app(fc)
    app.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    app.launch(server_name=host, server_port=port, share=share, auth=auth, prevent_thread_lock=True,
               show_error=True, css=CSS + AUDIT_CSS, quiet=True, ssr_mode=False, max_file_size="1mb",
               state_session_capacity=max_sessions,
               app_kwargs={"middleware": [Middleware(Guard, hosts=hosts)]})
    if hosts is not None and app.share_url:  # the tunnel forwards requests for the share link's name
        hosts.add(host_name(urlparse(app.share_url).netloc))
    if block:
        app.block_thread()
    return app
