"""The chat in a real browser: Debian's Chromium driven by Playwright, app on a free loopback port.

Screenshots of each state go to artifacts/ui/ (look at them after a change to the UI).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from index.config import PROJECT_ROOT, Settings
from index.store import build_index
from index.update import add_documents
from retriever import FactChecker
from retriever.factchecker import MAX_QUESTION_CHARS

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "artifacts" / "ui"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"]

PAYLOAD = ('智谱的恶意测试公司 2024年收入为9.99亿元。<script>window.__pwned = 1</script>'
           '<img src=x onerror="window.__pwned = 2"> ![](http://127.0.0.1:9/track.png) **粗体**')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(fc: FactChecker, **options):  # type: ignore[no-untyped-def]
    from ui.app import launch

    port = _free_port()
    app = launch(fc, host="127.0.0.1", port=port, block=False, **options)
    return app, f"http://127.0.0.1:{port}/"


def _queue_call(url: str, fn_index: int, data: list, session_hash: str | None = None) -> dict:
    """Run one event through Gradio's queue as the browser does (join, then read the stream);
    returns the final message, or what refused the join."""
    session_hash = session_hash or uuid.uuid4().hex
    with httpx.Client(base_url=url, timeout=120) as client:
        joined = client.post("gradio_api/queue/join", json={"data": data, "fn_index": fn_index,
                                                             "session_hash": session_hash})
        if joined.status_code != 200:
            return {"msg": "refused", "status": joined.status_code, "detail": joined.text}
        with client.stream("GET", "gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:") and json.loads(line[5:]).get("msg") == "process_completed":
                    return json.loads(line[5:])
    raise AssertionError("the queue never completed the event")


def _dependencies(url: str) -> list[dict]:
    return httpx.get(url + "config", timeout=30).json()["dependencies"]


def _fn_index(url: str, api_name: str) -> int:
    return next(d["id"] for d in _dependencies(url) if d.get("api_name") == api_name)


def _small_chat(tmp_path: Path, embedder, files: dict[str, str], sources: dict | None = None):  # type: ignore[no-untyped-def]
    """A chat on an index of ``files`` built in tmp_path: ``(app, url, index_dir)``."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    if sources is not None:
        (corpus / "sources.json").write_text(json.dumps(sources, ensure_ascii=False), encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, embedder=embedder, progress=False)
    app, url = _start(FactChecker.load(index_dir=settings.index_dir, rebuild=False))
    return app, url, Path(settings.index_dir)


@pytest.fixture(scope="module")
def server(fc):
    app, url = _start(fc)
    yield url
    app.close()


@pytest.fixture(scope="module")
def payload_server(tmp_path_factory, use_embedder):
    corpus = tmp_path_factory.mktemp("payload-corpus")
    (corpus / "evil.md").write_text(PAYLOAD + "\n", encoding="utf-8")
    (corpus / "plain.txt").write_text("恶意测试公司的总部位于杭州。\n", encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("payload-index") / "index")
    build_index(settings, embedder=use_embedder, progress=False)
    app, url = _start(FactChecker.load(index_dir=settings.index_dir, rebuild=False))
    yield url
    app.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def ask(page, url: str, question: str):  # type: ignore[no-untyped-def]
    page.goto(url)
    page.locator("#fc-question textarea").fill(question)
    page.locator("#fc-ask").click()
    turn = page.locator(".fc-turn").first
    turn.wait_for(timeout=60_000)
    return turn


def test_conflict_shows_a_banner_and_the_competing_values_side_by_side(page, server):
    turn = ask(page, server, "智谱2025年上半年的净亏损是多少？")
    assert turn.get_attribute("data-verdict") == "conflict"
    assert turn.locator(".fc-conflict").is_visible()
    assert "Sources disagree" in turn.locator(".fc-conflict").inner_text()
    values = turn.locator(".fc-value")
    assert values.count() == 2
    numbers = [values.nth(i).locator(".fc-value-number").inner_text() for i in range(2)]
    assert any("23.58" in n for n in numbers) and any("17.52" in n for n in numbers)
    newest = turn.locator(".fc-value:has(.fc-newest)")
    assert newest.count() == 1 and "17.52" in newest.inner_text() and "2026-01-08" in newest.inner_text()
    assert "latest report" in newest.inner_text()
    marks = [m.inner_text() for m in turn.locator(".fc-cite mark.fc-valuemark").all()]
    assert any("17.52" in m for m in marks) and any("23.58" in m for m in marks)


def test_traditional_question_gets_agreeing_sources_with_highlighted_value(page, server):
    turn = ask(page, server, "智譜2024年的營收是多少？")
    assert turn.get_attribute("data-verdict") == "consistent"
    assert turn.locator(".fc-consistent").is_visible()
    cites = turn.locator(".fc-cite")
    assert cites.count() >= 2
    first = cites.first
    assert "2025-12-19" in first.locator(".fc-source").inner_text() or "2026-01-08" in first.locator(".fc-source").inner_text()
    sentence = first.locator(".fc-sentence").inner_text()
    value = first.locator("mark.fc-valuemark").inner_text()
    assert "3.12" in value and value in sentence


def test_english_question_is_answered_with_citations(page, server):
    turn = ask(page, server, "How many enterprise customers does Zhipu have?")
    assert turn.get_attribute("data-verdict") == "conflict"
    text = turn.inner_text()
    assert "8000" in text and ("1.2" in text or "12000" in text)
    assert turn.locator(".fc-cite").count() >= 2
    assert "Traditional" in text and "Simplified" in text  # each source says its script
    assert "NetEase Hao" in turn.locator(".fc-values").inner_text()  # a value card names its publisher


def test_a_who_question_says_nothing_was_compared(page, server):
    turn = ask(page, server, "智谱的CEO是谁？")
    assert turn.get_attribute("data-verdict") == "quoted"
    assert "Quoted, not compared" in turn.locator(".fc-quoted").inner_text()
    assert turn.locator(".fc-consistent").count() == 0 and turn.locator(".fc-cite").count() >= 1


def test_unanswerable_question_says_so_plainly(page, server):
    turn = ask(page, server, "智谱2021年的净亏损是多少？")
    assert turn.get_attribute("data-verdict") == "not_found"
    assert "do not answer" in turn.locator(".fc-answer").inner_text()
    assert turn.locator(".fc-cite").count() == 0


def test_script_toggle_converts_passages_but_keeps_the_highlight(page, server):
    turn = ask(page, server, "智譜2025年上半年的淨虧損是多少？")
    traditional = turn.locator(".fc-cite").first.inner_text()
    page.get_by_label("Simplified").check()
    page.wait_for_function("document.querySelector('.fc-cite').innerText.includes('亏')")
    turn = page.locator(".fc-turn").first
    simplified = turn.locator(".fc-cite").first.inner_text()
    assert simplified != traditional and "虧" in traditional and "亏" in simplified
    assert turn.locator(".fc-cite mark.fc-valuemark").count() >= 2
    page.get_by_label("Traditional").check()
    page.wait_for_function("document.querySelector('.fc-cite').innerText.includes('虧')")
    assert "亏" not in page.locator(".fc-turn").first.locator(".fc-cite").first.inner_text()


def test_example_questions_fill_the_box(page, server):
    page.goto(server)
    page.get_by_text("How many enterprise customers does Zhipu", exact=False).first.click()
    page.wait_for_function("document.querySelector('#fc-question textarea').value.includes('enterprise customers')",
                           timeout=10_000)


def test_settings_show_the_loaded_index(page, server, fc):
    page.goto(server)
    page.get_by_text("Index", exact=True).first.click()
    info = page.locator("#fc-info textarea").input_value()
    assert "use-m" in info and str(fc.index.manifest["counts"]["chunks"]) in info


def test_html_in_a_document_is_shown_as_text(page, payload_server):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    turn = ask(page, payload_server, "恶意测试公司2024年收入是多少？")
    text = turn.inner_text()
    assert "<script>window.__pwned = 1</script>" in text
    assert '<img src=x onerror="window.__pwned = 2">' in text
    assert "![](http://127.0.0.1:9/track.png)" in text and "**粗体**" in text
    assert page.evaluate("window.__pwned") is None
    assert turn.locator("img, script, strong").count() == 0
    assert not any("track.png" in u or u.endswith("/x") for u in requests)


def test_ask_endpoint_returns_the_answer_json(server, fc):
    from gradio_client import Client

    client = Client(server, verbose=False)
    result = client.predict(question="智譜的企業客戶有多少家？", k=5, api_name="/ask")
    expected = fc.ask("智譜的企業客戶有多少家？", k=5).to_dict()
    assert result["verdict"] == expected["verdict"] == "conflict"
    assert set(result) == set(expected)
    assert [c["span"] for c in result["citations"]] == [c["span"] for c in expected["citations"]]
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result
    for c in result["citations"]:
        doc = fc.index.documents[c["doc_id"]]
        assert doc.text[c["span"][0]:c["span"][1]] == c["quote"]


def test_server_binds_loopback_only(server):
    from urllib.parse import urlparse

    assert urlparse(server).hostname == "127.0.0.1"


# --------------------------------------------------------------------------- hardening


SECRET = "星河公司的内部口令是ZEBRA7731QUOKKA，请勿外传。\n"


def test_no_event_of_the_chat_indexes_or_reads_a_folder(server, tmp_path):
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.txt").write_text(SECRET, encoding="utf-8")
    for dep in _dependencies(server):  # every handler, called as a raw client may call it
        message = _queue_call(server, dep["id"], [str(private)] * len(dep["inputs"]))
        assert "ZEBRA7731" not in json.dumps(message, ensure_ascii=False), dep
    assert [p.name for p in private.iterdir()] == ["secret.txt"]  # no .factcheck-index written there
    from gradio_client import Client

    answer = Client(server, verbose=False).predict(question="星河公司的内部口令是什么？", k=10, api_name="/ask")
    assert "ZEBRA7731" not in json.dumps(answer, ensure_ascii=False)


def _ask_here(page, question: str, turns: int) -> None:  # type: ignore[no-untyped-def]
    """Ask on the page as it is (no reload) and wait for the conversation to hold ``turns`` turns."""
    page.locator("#fc-question textarea").fill(question)
    page.locator("#fc-ask").click()
    page.wait_for_function(f"document.querySelectorAll('.fc-turn').length === {turns}", timeout=60_000)


def test_each_user_sees_only_their_own_conversation_and_settings(browser, server):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 1000}) for _ in range(2)]
    ann, bob = (c.new_page() for c in contexts)
    try:
        ann.goto(server)
        ann.get_by_text("Index", exact=True).first.click()
        ann.locator("#fc-info textarea").wait_for()
        # nothing in the page changes what is loaded for everyone
        assert ann.get_by_placeholder("/path/to/articles").count() == 0
        assert ann.get_by_role("button", name="Index folder").count() == 0
        _ask_here(ann, "智譜2025年上半年的淨虧損是多少？", 1)
        ann.get_by_label("Simplified").check()
        ann.wait_for_function("document.querySelector('.fc-cite').innerText.includes('亏')")

        bob.goto(server)
        assert "Ask a question" in bob.locator("#fc-conversation").inner_text()
        assert bob.get_by_label("Original").is_checked() and not bob.get_by_label("Simplified").is_checked()
        _ask_here(bob, "智谱的CEO是谁？", 1)
        assert "CEO" in bob.locator(".fc-question").inner_text()

        _ask_here(ann, "How many enterprise customers does Zhipu have?", 2)
        questions = [q.inner_text() for q in ann.locator(".fc-question").all()]
        assert not any("CEO" in q for q in questions) and ann.get_by_label("Simplified").is_checked()
        assert bob.locator(".fc-turn").count() == 1
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, page in (("ann", ann), ("bob", bob)):
            page.screenshot(path=str(ARTIFACTS / f"two_users_{name}.png"), full_page=True)
        for c in contexts:
            c.close()


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def test_uploads_are_refused_and_nothing_is_written(server):
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder())
    marker = uuid.uuid4().hex
    before = _files(folder)
    for route in ("gradio_api/upload", "gradio_api/process_recording", "gradio_api/component_server"):
        for field in ("files", "video"):
            r = httpx.post(server + route, files={field: (f"{marker}.txt", marker.encode() * 1000, "text/plain")},
                           timeout=30)
            assert r.status_code in (403, 404), (route, r.status_code, r.text)
    r = httpx.post(server + "gradio_api/upload", content=marker.encode(),
                   headers={"Content-Type": "application/octet-stream"}, timeout=30)
    assert r.status_code in (403, 404), r.text
    new = _files(folder) - before
    assert not [p for p in new if marker in p.name or marker.encode() in p.read_bytes()]


def test_requests_for_another_host_name_are_refused(server):
    port = urlparse(server).port
    ask = {"data": ["智谱的CEO是谁？", 5], "fn_index": _fn_index(server, "ask"), "session_hash": uuid.uuid4().hex}
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}", f"localhost.:{port}"):
        headers = {"Host": host}
        assert httpx.get(server, headers=headers, timeout=30).status_code in (403, 421), host
        assert httpx.get(server + "config", headers=headers, timeout=30).status_code in (403, 421), host
        assert httpx.post(server + "gradio_api/queue/join", json=ask, headers=headers,
                          timeout=30).status_code in (403, 421), host
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
        assert httpx.get(server + "config", headers={"Host": host}, timeout=30).status_code == 200, host


def test_serving_beyond_this_machine_needs_a_password(fc):
    from index.errors import FactCheckError
    from ui.app import launch

    port = _free_port()
    result = subprocess.run([sys.executable, "-m", "retriever.cli", "ui", "--host", "0.0.0.0", "--port", str(port)],
                            capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert result.returncode == 2, result.stderr
    assert "--auth USER:PASSWORD" in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(FactCheckError, match="--auth"):
        launch(fc, host="0.0.0.0", port=port, block=False)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # nothing was started


def test_a_password_protects_the_chat(browser, fc):
    app, url = _start(fc, auth=("ann", "s3cret"))
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        assert httpx.get(url + "config", timeout=30).status_code == 401
        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.post("login", data={"username": "ann", "password": "wrong"}).status_code >= 400
        page = context.new_page()
        page.goto(url)
        page.locator("input[type=text]").fill("ann")
        page.locator("input[type=password]").fill("s3cret")
        page.get_by_role("button", name="Login").click()
        page.locator("#fc-question textarea").wait_for(timeout=60_000)
        _ask_here(page, "智谱的CEO是谁？", 1)
        assert page.locator(".fc-turn").first.get_attribute("data-verdict") == "quoted"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "logged_in.png"), full_page=True)
    finally:
        context.close()
        app.close()


def test_factcheck_ui_says_where_to_open_it_and_gives_no_share_hint(cli_index_dir):
    import threading

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "retriever.cli", "ui", "--port", str(port), "--index",
                             str(cli_index_dir)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ))
    watchdog = threading.Timer(300, proc.kill)  # a generous bound, should it never print the line
    watchdog.start()
    lines: list[str] = []
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if "Open http" in line:
                break
        assert httpx.get(f"http://127.0.0.1:{port}/config", timeout=30).status_code == 200
    finally:
        watchdog.cancel()
        proc.terminate()
        lines.append(proc.communicate(timeout=60)[0])
    output = "".join(lines)
    assert f"Open http://127.0.0.1:{port}" in output
    assert "share=True" not in output and "public link" not in output


BIDI_FILES = {"bi\ndi.txt": "星河公司2024年收入为\u202e元亿21\u202c。\n星河公司的创始人是张伟\u202e，总部位于杭州。\n"}
BIDI_SOURCES = {"bi\ndi": {"publisher": "\u202emoc.live", "date": "2025-01-02"}}
CHAR_X = """(el, needle) => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let text = '';
  while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
  const at = text.indexOf(needle);
  if (at < 0) return null;
  const xs = [];
  for (let i = at; i < at + needle.length; i++) {
    const [node, start] = nodes.find(([n, s]) => s <= i && i < s + n.data.length);
    const range = document.createRange();
    range.setStart(node, i - start);
    range.setEnd(node, i - start + 1);
    const box = range.getBoundingClientRect();
    xs.push(box.left + box.width / 2);
  }
  return xs;
}"""


def _x(locator, needle: str) -> list[float]:  # type: ignore[no-untyped-def]
    """Where each character of ``needle`` (first found in the element's text) is drawn, left to right."""
    xs = locator.evaluate(CHAR_X, needle)
    assert xs, f"{needle!r} not in {locator.inner_text()!r}"
    return xs


def test_bidi_controls_in_documents_do_not_reorder_what_is_shown(page, tmp_path, use_embedder):
    app, url, _ = _small_chat(tmp_path, use_embedder, BIDI_FILES, BIDI_SOURCES)
    try:
        turn = ask(page, url, "星河公司的创始人是谁？")
        assert not any(c in turn.inner_text() for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
        source = turn.locator(".fc-cite .fc-source").first
        assert source.inner_text().startswith("[1] bi␤di — moc.live — 2025-01-02")  # one line, in order
        xs = _x(source, "moc.live")  # shown as stored, not as "evil.com"
        assert xs == sorted(xs)
        assert _x(source, "2025-01-02")[0] > xs[-1]  # the date stays after the publisher
        xs = _x(turn.locator(".fc-cite .fc-passage").first, "元亿21")  # not "12亿元"
        assert xs == sorted(xs)
        line = turn.locator(".fc-answer")
        assert _x(line, "[1]")[0] > _x(line, "杭州。")[-1]  # the marker stays after its quote
    finally:
        app.close()


def test_rendered_document_text_is_isolated_and_has_no_bidi_controls():
    from ui.render import answer_html

    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
    source = {"doc_id": "a\nb", "publisher": "\u202emoc.live", "byline": "x\u2067y", "date": "2025-01-02",
              "script": "Simplified"}
    quoted = {"question": "谁\u202e?", "verdict": "quoted",
              "citations": [{"n": 1, "chunk_id": 0, "doc_id": "a\nb", "span": [0, 5], "quote": "ab\u202ecd",
                             "source": source}],
              "passages": [{"chunk_id": 0, "text": "ab\u202ecd", "span": [0, 5]}]}
    label = {"doc_id": "a\nb", "label": "\u202emoc.live\r\n(2025-01-02)", "citation": 1}
    conflict = dict(quoted, verdict="conflict", check={
        "groups": [{"value": "元亿21\u202e", "sources": [label], "citations": [1], "latest_report": True},
                   {"value": "3亿元", "sources": [dict(label, doc_id="c")], "citations": [1]}],
        "self_contradicting": ["a\nb"],
        "apart": [{"value": "\u202e5亿元", "reason": "other period", "period": "2023", "source": label}]})
    for answer in (quoted, conflict):
        html = answer_html(answer)
        assert not any(c in html for c in controls), html
        assert "\n" not in html and "\r" not in html and "a␤b" in html
        assert "<bdi>moc.live" in html and "<bdi>谁?</bdi>" in html
    assert "<bdi>元亿21</bdi>" in answer_html(conflict)


def test_a_kept_turn_renders_exactly_like_the_whole_answer(fc):
    from ui.render import SCRIPTS, answer_html, kept

    for question in ("智谱2025年上半年的净亏损是多少？", "How many enterprise customers does Zhipu have?",
                     "智谱的CEO是谁？", "智谱2021年的净亏损是多少？", "智譜2024年的營收是多少？"):
        whole = fc.ask(question, k=10).to_dict()
        small = kept(whole)
        assert len(json.dumps(small, ensure_ascii=False)) < len(json.dumps(whole, ensure_ascii=False)) / 2
        for script in SCRIPTS:
            assert answer_html(small, script) == answer_html(whole, script)


def test_sessions_and_their_histories_are_bounded(fc):
    from ui.app import MAX_TURNS

    app, url = _start(fc, max_sessions=4)
    try:
        on_ask = _fn_index(url, "on_ask")
        for _ in range(10):
            assert _queue_call(url, on_ask, ["智谱的CEO是谁？", 5, "Original", None])["success"]
        assert len(app.state_holder.session_data) <= 4
        session = uuid.uuid4().hex
        questions = ["智谱2025年上半年的净亏损是多少？", "How many enterprise customers does Zhipu have?", "智谱的CEO是谁？"]
        for i in range(MAX_TURNS + 2):
            message = _queue_call(url, on_ask, [questions[i % 3], 10, "Original", None], session)
        assert message["output"]["data"][0].count('class="fc-turn"') == MAX_TURNS
        history = next(v for v in app.state_holder.session_data[session].state_data.values() if isinstance(v, list))
        assert len(history) == MAX_TURNS
        assert len(json.dumps(history, ensure_ascii=False)) < 150_000  # what re-rendering needs, no more
    finally:
        app.close()


MASCOT = "星河公司的吉祥物是一只名叫阿布的蓝色狐狸。\n"
MASCOT_Q = "星河公司的吉祥物是什么？"


def test_the_chat_answers_from_documents_added_while_it_runs(tmp_path, use_embedder):
    import gc

    from gradio_client import Client

    files = {"harbor.txt": "海风航运公司2024年营业收入为8.6亿元，同比增长35%。\n",
             "bridge.md": "紅河大橋全長3.2公里，於2021年通車。\n"}
    app, url, index_dir = _small_chat(tmp_path, use_embedder, files)
    try:
        client = Client(url, verbose=False)
        before = client.predict(question=MASCOT_Q, k=3, api_name="/ask")
        assert "mascot" not in {c["doc_id"] for c in before["citations"]}
        (tmp_path / "mascot.txt").write_text(MASCOT, encoding="utf-8")
        add_documents(index_dir, [tmp_path / "mascot.txt"], embedder=use_embedder)
        after = client.predict(question=MASCOT_Q, k=3, api_name="/ask")
        assert after["citations"] and after["citations"][0]["doc_id"] == "mascot"
        assert "阿布" in after["citations"][0]["quote"]
        # a second update deletes the first generation from disk: the chat must not keep it mapped
        (tmp_path / "park.txt").write_text("东湖公园占地五百亩。\n", encoding="utf-8")
        add_documents(index_dir, [tmp_path / "park.txt"], embedder=use_embedder)
        assert client.predict(question=MASCOT_Q, k=3, api_name="/ask")["citations"][0]["doc_id"] == "mascot"
        gc.collect()
        current = (index_dir / "CURRENT").read_text(encoding="ascii").strip()
        mapped = {line.split(maxsplit=5)[-1] for line in Path("/proc/self/maps").read_text().splitlines()
                  if str(index_dir) in line}
        assert mapped and all(f"/{current}/" in m for m in mapped), mapped
    finally:
        app.close()


def test_ask_endpoint_refuses_a_bad_k_and_an_overlong_question_clearly(server):
    ask_fn = _fn_index(server, "ask")
    for k in ("abc", 0, 21, 2.5, None, True):
        message = _queue_call(server, ask_fn, ["智谱的CEO是谁？", k])
        assert message["success"] is False and message["output"]["error"] == "k must be a whole number between 1 and 20"
    assert _queue_call(server, ask_fn, ["智谱的CEO是谁？", "7"])["success"]
    for length in (MAX_QUESTION_CHARS + 1, 200_000):
        message = _queue_call(server, ask_fn, ["智" * length, 5])
        assert message["success"] is False
        assert message["output"]["error"] == f"The question is too long: at most {MAX_QUESTION_CHARS} characters."
