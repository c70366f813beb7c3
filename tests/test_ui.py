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


PHONE = {"width": 390, "height": 844}


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
    assert not errors, errors


@pytest.fixture
def phone(browser, request):
    """A page on a 390×844 phone screen (touch, mobile layout); screenshot ``<test>_phone.png``."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name.split('[')[0]}_phone.png"), full_page=True)
    context.close()


def open_settings(page) -> None:  # type: ignore[no-untyped-def]
    """Unfold the settings panel (k, script, index) at the top of the page."""
    page.locator("#fc-settings").get_by_text("Settings", exact=False).first.click()
    page.locator("#fc-script").wait_for()


def ask(page, url: str, question: str):  # type: ignore[no-untyped-def]
    page.goto(url)
    page.locator("#fc-question textarea").fill(question)
    page.locator("#fc-ask").click()
    turn = page.locator(".fc-turn").first
    turn.wait_for(timeout=60_000)
    settled(page)
    return turn


def settled(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until Gradio shows no output as pending (it fades them while an event runs)."""
    page.wait_for_function("document.querySelectorAll('.pending').length === 0", timeout=30_000)


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


def test_a_why_question_says_nothing_was_compared(page, server):
    turn = ask(page, server, "智谱为什么选择在香港上市？")
    assert turn.get_attribute("data-verdict") == "quoted"
    assert "Quoted, not compared" in turn.locator(".fc-quoted").inner_text()
    assert turn.locator(".fc-consistent").count() == 0 and turn.locator(".fc-cite").count() >= 1


def test_a_who_question_shows_the_name_the_sources_agree_on(page, server):
    turn = ask(page, server, "智谱的CEO是谁？")
    assert turn.get_attribute("data-verdict") == "consistent"
    assert turn.locator(".fc-headline").inner_text().startswith("4个来源一致：张鹏")
    assert "张鹏" in turn.locator(".fc-values").inner_text() or "張鵬" in turn.locator(".fc-values").inner_text()
    assert turn.locator(".fc-cite").count() >= 2


def test_unanswerable_question_says_so_plainly(page, server):
    turn = ask(page, server, "智谱2021年的净亏损是多少？")
    assert turn.get_attribute("data-verdict") == "not_found"
    assert "do not answer" in turn.locator(".fc-answer").inner_text()
    assert turn.locator(".fc-cite").count() == 0


def test_script_toggle_converts_passages_but_keeps_the_highlight(page, server):
    turn = ask(page, server, "智譜2025年上半年的淨虧損是多少？")
    traditional = turn.locator(".fc-cite").first.inner_text()
    open_settings(page)
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
    open_settings(page)
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
    settled(page)


def test_each_user_sees_only_their_own_conversation_and_settings(browser, server):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 1000}) for _ in range(2)]
    ann, bob = (c.new_page() for c in contexts)
    try:
        ann.goto(server)
        open_settings(ann)
        ann.locator("#fc-info textarea").wait_for()
        # nothing in the page changes what is loaded for everyone
        assert ann.get_by_placeholder("/path/to/articles").count() == 0
        assert ann.get_by_role("button", name="Index folder").count() == 0
        _ask_here(ann, "智譜2025年上半年的淨虧損是多少？", 1)
        ann.get_by_label("Simplified").check()
        ann.wait_for_function("document.querySelector('.fc-cite').innerText.includes('亏')")

        bob.goto(server)
        assert "Ask a question" in bob.locator("#fc-conversation").inner_text()
        open_settings(bob)
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
        assert page.locator(".fc-turn").first.get_attribute("data-verdict") == "consistent"
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
        assert source.inner_text().startswith("[1] moc.live — article 2025-01-02")  # one line, in order
        assert source.locator("[title]").first.get_attribute("title") == "bi␤di"  # the id, in a tooltip
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


# --------------------------------------------------------------------------- a journalist's chat (issue 11)

NEWSROOM_FILES = {
    "a.txt": "1月5日，星河公司公布，2025年经调整净亏损为8.6亿元。\n",
    "b.txt": "星河公司2025年经调整净亏损为9.4亿元。\n",
    "c.txt": "據報道，星河公司2025年經調整淨虧損為9.4億元。\n",
}
NEWSROOM_SOURCES = {
    "a": {"publisher": "星河日报", "date": "2026-01-08", "script": "Simplified"},
    "b": {"publisher": "East Harbour News <b>x</b>", "date": "2025-12-20", "script": "Simplified"},
    "c": {"publisher": "海港財經", "date": "2025-12-28", "script": "Traditional"},
}
LONG_EXAMPLE = "How did the adjusted net loss of 星河公司 for 2025 change between the first report and the latest one?"
NEWSROOM_EXAMPLES = ["星河公司2025年经调整净亏损是多少？", LONG_EXAMPLE]
NEWSROOM_Q = "星河公司2025年经调整净亏损是多少？"


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory, use_embedder):
    """A chat on three invented reports of one figure, revised after the first two; its own examples."""
    tmp = tmp_path_factory.mktemp("newsroom")
    files = dict(NEWSROOM_FILES)
    app, url, _ = _small_chat(tmp, use_embedder, files, NEWSROOM_SOURCES)
    (tmp / "corpus" / "examples.json").write_text(json.dumps(NEWSROOM_EXAMPLES, ensure_ascii=False), encoding="utf-8")
    app.close()  # examples are read when the app is built: start it again with them
    app, url = _start(FactChecker.load(index_dir=tmp / "index", rebuild=False))
    yield url
    app.close()


def test_sources_are_named_by_publisher_with_labelled_dates_and_the_id_in_a_tooltip(page, server):
    turn = ask(page, server, "智谱2025年上半年的净亏损是多少？")
    cards = turn.locator(".fc-values")
    assert "NetEase Hao" in cards.inner_text() and "2025-12-19" in cards.inner_text()
    shown = cards.inner_text() + "".join(s.inner_text() for s in turn.locator(".fc-cite .fc-source").all())
    assert "000_f31368bb9600fd75" not in shown  # a source with a publisher is never shown by its id
    titles = [t.get_attribute("title") for t in turn.locator(".fc-values [title]").all()]
    assert "000_f31368bb9600fd75" in titles
    first = turn.locator(".fc-cite .fc-source").first.inner_text()
    assert "— article 20" in first  # the header's date says what it is


def test_a_figure_reported_on_another_day_shows_both_dates_labelled(page, newsroom):
    turn = ask(page, newsroom, NEWSROOM_Q)
    assert turn.get_attribute("data-verdict") == "conflict"
    card = turn.locator(".fc-value", has_text="8.6")
    assert "星河日报 · reported 2026-01-05 · article 2026-01-08" in card.inner_text()
    header = turn.locator(".fc-cite", has_text="8.6").locator(".fc-source").inner_text()
    assert "星河日报 — article 2026-01-08" in header
    # the measure word its sentences carry is on the card; "latest report" is a date, not a ruling
    assert card.locator(".fc-measure").inner_text() == "adjusted"
    latest = turn.locator(".fc-newest")
    assert latest.count() == 1 and latest.inner_text() == "latest report"
    assert "not necessarily the correct" in latest.get_attribute("title")
    assert "<b>x</b>" in turn.locator(".fc-values").inner_text()  # a publisher's markup is text


@pytest.mark.parametrize("question, says, absent", [
    ("智谱2025年上半年的净亏损是多少？", ["来源说法不一", "23.58 亿元", "17.52亿元", "NetEase Hao"], ["億", "Sources disagree:"]),
    ("智譜2025年上半年的淨虧損是多少？", ["來源說法不一", "23.58 億元", "17.52億元"], ["亿"]),
    ("How many enterprise customers does Zhipu have?", ["Sources disagree:", "1.2 萬家 ≈ 12,000", "NetEase Hao"], []),
    ("What was Zhipu's net loss in the first half of 2025?", ["23.58 億元 ≈ CNY 2.36 billion"], []),
    ("智谱2021年的净亏损是多少？", ["资料中没有这个问题的答案"], []),
], ids=["zh-Hans-conflict", "zh-Hant-conflict", "en-conflict", "en-agree", "zh-Hans-not-found"])
def test_every_answer_starts_with_a_one_line_answer_in_the_askers_language(page, server, fc, question, says, absent):
    turn = ask(page, server, question)
    headline = turn.locator(".fc-headline")
    assert headline.is_visible()
    text = headline.inner_text()
    assert text == fc.ask(question, k=5).headline
    assert all(s in text for s in says) and not any(a in text for a in absent), text
    cites = turn.locator(".fc-cite")
    if cites.count():  # it comes before the values, quotes and passages
        assert headline.bounding_box()["y"] < cites.first.bounding_box()["y"]
    if not has_cjk_text(question):
        cards = turn.locator(".fc-english")
        assert cards.count() >= 1 and cards.first.inner_text().startswith("≈ ")


def has_cjk_text(text: str) -> bool:
    from index.text import has_cjk

    return has_cjk(text)


def test_a_why_question_answers_with_the_best_quoted_sentence_first(page, server, fc):
    turn = ask(page, server, "Why did Zhipu list in Hong Kong?")
    headline = turn.locator(".fc-headline").inner_text()
    best = fc.ask("Why did Zhipu list in Hong Kong?", k=5).citations[0]
    assert headline.startswith(f"“{best.quote}” [1]") and "quoted; no figure compared" in headline


def test_citation_markers_jump_to_their_passage_and_older_turns_fold(page, server):
    ask(page, server, "智谱2025年上半年的净亏损是多少？")
    for i, question in enumerate(["How many enterprise customers does Zhipu have?", "智谱的CEO是谁？",
                                  "智譜2024年的營收是多少？", "Who is the CEO of Zhipu?", "智谱2021年的净亏损是多少？"], 2):
        _ask_here(page, question, i)
    turns = page.locator(".fc-turn")
    assert turns.count() == 6
    assert page.locator(".fc-turn[open]").count() == 1 and turns.first.get_attribute("open") is not None
    assert "2021" in turns.first.locator(".fc-question").inner_text()  # newest first
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2600, height  # six turns no longer grow the page without limit (was 4,281 px)
    turns.nth(5).locator("summary").click()  # the oldest unfolds on demand
    link = turns.nth(5).locator(".fc-values a.fc-ref").last
    target = link.get_attribute("href")
    assert target.startswith("#fc-t0-c")
    link.click()
    page.wait_for_function(f"location.hash === '{target}'")
    box = page.locator(target).bounding_box()
    assert 0 <= box["y"] < 1000, box  # scrolled into view
    assert page.locator(target).evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"


def test_on_a_phone_the_settings_are_a_folded_panel_above_the_answers(phone, server):
    turn = ask(phone, server, "智谱2025年上半年的净亏损是多少？")
    settings = phone.locator("#fc-settings")
    assert settings.bounding_box()["y"] < phone.locator("#fc-question").bounding_box()["y"]
    assert settings.bounding_box()["y"] < turn.bounding_box()["y"]
    assert not phone.locator("#fc-k").is_visible()  # folded until asked for
    open_settings(phone)
    assert phone.locator("#fc-k").is_visible() and phone.get_by_label("Simplified").is_visible()
    assert phone.locator("#fc-script").bounding_box()["y"] < turn.bounding_box()["y"]
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # nothing wider than the screen


def test_an_empty_question_gets_a_gentle_hint_and_no_error(page, server, capfd):
    page.goto(server)
    page.locator("#fc-question textarea").wait_for()
    capfd.readouterr()
    for action in ("click", "enter"):
        page.locator("#fc-question textarea").fill("   " if action == "enter" else "")
        if action == "click":
            page.locator("#fc-ask").click()
        else:
            page.locator("#fc-question textarea").press("Enter")
        page.locator(".fc-hint").wait_for(timeout=30_000)
        assert "Type a question first" in page.locator(".fc-hint").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "empty_question_hint.png"), full_page=True)
    page.wait_for_timeout(500)
    assert page.locator(".toast-body, .toast-wrap .error").count() == 0
    assert "Error" not in page.locator("body").inner_text()
    assert page.locator(".fc-turn").count() == 0
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "ERROR" not in out + err and "Error" not in out + err, out + err
    _ask_here(page, "智谱的CEO是谁？", 1)  # the hint goes with the next question
    assert page.locator(".fc-hint").count() == 0


def test_copy_as_markdown_puts_the_answer_on_the_clipboard(browser, server, fc):
    context = browser.new_context(viewport={"width": 1280, "height": 1000},
                                  permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        turn = ask(page, server, "智谱2025年上半年的净亏损是多少？")
        turn.locator(".fc-copy").click()
        page.wait_for_function("document.querySelector('.fc-copied').innerText === 'Copied'")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == fc.ask("智谱2025年上半年的净亏损是多少？", k=5).to_markdown()
        for part in ("### 智谱2025年上半年的净亏损是多少？", "**Sources disagree.**", "| 17.52亿元", "latest report",
                     "NetEase Hao", "2025-12-19", "> 2025年上半年凈虧損已達23.579億元。", "`000_f31368bb9600fd75`"):
            assert part in copied, part
        assert not turn.locator(".fc-md").is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "copy_as_markdown.png"), full_page=True)
    finally:
        context.close()


def test_copy_as_markdown_without_a_clipboard_shows_the_text_to_copy(page, server, fc):
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true})")
    turn = ask(page, server, "How many enterprise customers does Zhipu have?")
    turn.locator(".fc-copy").click()
    box = turn.locator(".fc-md")
    box.wait_for(state="visible")
    assert box.input_value() == fc.ask("How many enterprise customers does Zhipu have?", k=5).to_markdown()
    assert "Copy the text below" in turn.locator(".fc-copied").inner_text()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 1000}, PHONE], ids=["desktop", "phone"])
def test_examples_come_from_the_corpus_and_are_shown_whole(browser, newsroom, viewport):
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        page.goto(newsroom)
        chips = page.locator("#fc-examples button")
        chips.first.wait_for()
        texts = [c.inner_text().strip() for c in chips.all()]
        assert texts == NEWSROOM_EXAMPLES  # the corpus' own, not the bundled articles'
        for chip in chips.all():
            assert chip.evaluate("el => el.scrollWidth <= el.clientWidth + 1 && el.scrollHeight <= el.clientHeight + 1")
            box = chip.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        chips.last.click()
        page.wait_for_function("document.querySelector('#fc-question textarea').value.includes('first report')")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"examples_{'phone' if viewport == PHONE else 'desktop'}.png"),
                        full_page=True)
    finally:
        context.close()


def _chart_checks(turn, smallest_font: float) -> None:  # type: ignore[no-untyped-def]
    chart = turn.locator(".fc-chart svg")
    assert chart.count() == 1
    assert turn.locator(".fc-chart circle").count() == 3  # one point per value and report date
    labels = [t.text_content() for t in turn.locator(".fc-chart svg text").all()]
    assert "2025-12-20" in labels and "2025-12-28" in labels and "2026-01-05" in labels
    assert any("8.6" in t for t in labels) and any("9.4" in t for t in labels)
    legend = turn.locator(".fc-legend").inner_text()
    assert "2026-01-05: 8.6" in legend and "星河日报" in legend and "East Harbour News <b>x</b>" in legend
    for text in turn.locator(".fc-chart svg text").all():
        assert text.bounding_box()["height"] >= smallest_font, text.text_content()  # readable
    # a revision over time reads left to right: the later report is drawn to the right, lower
    points = sorted((c.bounding_box()["x"], c.bounding_box()["y"]) for c in turn.locator(".fc-chart circle").all())
    assert points[-1][1] > points[0][1]


def test_a_conflict_is_drawn_as_each_sources_value_by_report_date(page, newsroom):
    turn = ask(page, newsroom, NEWSROOM_Q)
    _chart_checks(turn, 12)
    open_settings(page)
    page.get_by_label("Traditional").check()
    page.wait_for_function("document.querySelector('.fc-chart svg').textContent.includes('億')")


def test_the_chart_is_readable_on_a_phone(phone, newsroom):
    turn = ask(phone, newsroom, NEWSROOM_Q)
    _chart_checks(turn, 10)
    box = turn.locator(".fc-chart svg").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_agreement_and_a_single_value_have_no_chart(page, server):
    turn = ask(page, server, "智譜2024年的營收是多少？")
    assert turn.get_attribute("data-verdict") == "consistent" and turn.locator(".fc-chart").count() == 0


def test_the_conflict_chart_escapes_labels_and_needs_two_dated_values():
    from ui.render import conflict_chart

    source = {"doc_id": "a", "name": "<img src=x onerror=alert(1)>", "date": "2025-01-02"}
    groups = [{"value": "<script>1</script>亿元", "number": 1.0, "sources": [source]},
              {"value": "2亿元", "number": 2.0, "sources": [dict(source, doc_id="b", date="2025-02-03")]}]
    svg = conflict_chart(groups)
    assert "<script>" not in svg and "<img" not in svg and "&lt;script&gt;" in svg and "&lt;img" in svg
    assert svg.count("<circle") == 2
    undated = [groups[0], {"value": "2亿元", "number": 2.0, "sources": [{"doc_id": "b", "name": "b"}]}]
    assert conflict_chart(undated) == "" and conflict_chart(groups[:1]) == ""


# ----------------------------------------------------------------------------- the Audit tab


def run_audit(page, url: str):  # type: ignore[no-untyped-def]
    """Open the Audit tab, run the audit and wait for its summary."""
    page.goto(url)
    page.get_by_role("tab", name="Audit").click()
    page.locator("#fc-audit-run").click()
    page.locator("#fc-audit-summary").wait_for(timeout=120_000)
    settled(page)
    return page.locator("#fc-audit")


def test_the_audit_tab_lists_the_seeds_disagreements_with_quotes(page, server):
    audit = run_audit(page, server)
    facts = audit.locator('.fc-fact[data-status="disagree"]')
    assert facts.count() >= 3
    loss = audit.locator('.fc-fact[data-status="disagree"]', has_text="17.52")
    assert loss.count() == 1 and "23.58" in loss.inner_text()
    assert loss.locator(".fc-value").count() == 2
    marks = [m.inner_text() for m in loss.locator("mark.fc-valuemark").all()]
    assert any("17.52" in m for m in marks) and any("23.58" in m for m in marks)
    assert "NetEase Hao" in loss.inner_text() and "2026-01-08" in loss.inner_text()
    assert "factcheck ask" in loss.locator(".fc-audit-command").inner_text()
    assert "Sources agree" in audit.inner_text() and audit.locator(".fc-agree-list li").count() >= 3


def test_ask_about_it_asks_the_facts_question_in_the_chat(page, server):
    audit = run_audit(page, server)
    fact = audit.locator('.fc-fact[data-status="disagree"]', has_text="17.52")
    question = fact.locator(".fc-audit-ask").get_attribute("data-question")
    fact.locator(".fc-audit-ask").click()
    turn = page.locator(".fc-turn").first
    turn.wait_for(timeout=60_000)
    settled(page)
    assert question and question in turn.locator(".fc-question").inner_text()


AUDIT_FILES = {
    "wire-a.txt": "<b>青河公司</b>2024年营收为8.6亿元<script>window.__pwned = 1</script>，同比增长35%。\n"
                  "公司员工总数为1200人。\n",
    "wire-b.txt": "<b>青河公司</b>2024年营收为6.1亿元<script>window.__pwned = 1</script>，同比增长35%。\n"
                  "公司员工总数为1200人。\n",
}


def test_the_audit_shows_document_markup_as_text(page, tmp_path, use_embedder):
    app, url, _ = _small_chat(tmp_path, use_embedder, AUDIT_FILES,
                              {"wire-a": {"publisher": "<i>Daily</i>\u202e", "date": "2025-03-01"},
                               "wire-b": {"publisher": "Evening Post", "date": "2025-03-02"}})
    try:
        audit = run_audit(page, url)
        fact = audit.locator('.fc-fact[data-status="disagree"]')
        assert fact.count() == 1
        text = fact.inner_text()
        assert "8.6亿元" in text and "6.1亿元" in text
        assert "<script>window.__pwned = 1</script>" in text and "<b>青河公司</b>" in text
        assert "<i>Daily</i>" in text and "\u202e" not in text
        assert page.evaluate("window.__pwned") is None
        assert audit.locator("script, b, i").count() == 0
        agreed = audit.locator(".fc-agree-list").inner_text()
        assert "35%" in agreed and "1200人" in agreed
    finally:
        app.close()
