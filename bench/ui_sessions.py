"""Memory the chat keeps per browser session, measured with tracemalloc in the server's process.

    python bench/ui_sessions.py               # 150 sessions of one question, one session of many
    python bench/ui_sessions.py --fill        # then open sessions until the server must drop some

The chat runs in this process on a free 127.0.0.1 port over an index of seeds/ built in a temporary
folder; each "session" is a new Gradio session hash asking through the queue, as a browser does.
Prints bytes per session (one question each), bytes of one session that asked more questions than
the chat keeps turns, how many sessions the server keeps and what that bounds.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import socket
import sys
import tempfile
import tracemalloc
import uuid
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTIONS = ["智谱2025年上半年的净亏损是多少？", "How many enterprise customers does Zhipu have?",
             "智谱的CEO是谁？", "智譜2024年的營收是多少？"]


def queue_call(url: str, fn_index: int, data: list, session_hash: str) -> dict:
    """One event through Gradio's queue, as the browser sends it; returns the final message."""
    import httpx

    with httpx.Client(base_url=url, timeout=120) as client:
        r = client.post("/gradio_api/queue/join", json={"data": data, "fn_index": fn_index,
                                                         "session_hash": session_hash})
        r.raise_for_status()
        with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session_hash}) as s:
            for line in s.iter_lines():
                if line.startswith("data:") and json.loads(line[5:]).get("msg") == "process_completed":
                    return json.loads(line[5:])
    raise RuntimeError("no result")


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=150)
    parser.add_argument("--fill", action="store_true", help="open sessions until the server's capacity is passed")
    args = parser.parse_args()

    import httpx

    from index.config import SEEDS_DIR, Settings
    from index.store import build_index
    from retriever import FactChecker
    from ui import app as chat

    settings = Settings(corpus_dir=SEEDS_DIR, index_dir=Path(tempfile.mkdtemp()) / "index")
    build_index(settings, progress=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = chat.launch(FactChecker.load(index_dir=settings.index_dir, rebuild=False), port=port, block=False)
    url = f"http://127.0.0.1:{port}"
    deps = httpx.get(url + "/config").json()["dependencies"]
    on_ask = next(d["id"] for d in deps if d.get("api_name") == "on_ask")

    def ask(session: str, question: str) -> None:
        message = queue_call(url, on_ask, [question, 5, "Original", None], session)
        assert message.get("success"), message

    for q in QUESTIONS:  # warm the library's caches: what follows is the sessions' own memory
        ask(uuid.uuid4().hex, q)
    tracemalloc.start()
    before = traced()
    for _ in range(args.sessions):
        ask(uuid.uuid4().hex, QUESTIONS[0])
    per_session = (traced() - before) / args.sessions
    before = traced()
    session = uuid.uuid4().hex
    for turn in range(chat.MAX_TURNS + 10):
        ask(session, QUESTIONS[turn % len(QUESTIONS)])
    full = traced() - before
    capacity = app.state_session_capacity
    opened = len(QUESTIONS) + args.sessions + 1
    if args.fill:
        for _ in range(max(0, capacity + 50 - opened)):
            ask(uuid.uuid4().hex, QUESTIONS[0])
        opened = max(opened, capacity + 50)
    kept = len(app.state_holder.session_data)
    tracemalloc.stop()
    app.close()
    print(f"gradio {__import__('gradio').__version__}, MAX_TURNS {chat.MAX_TURNS}")
    print(f"{args.sessions} sessions of one question: {per_session / 1024:.1f} KiB per session")
    print(f"one session asking {chat.MAX_TURNS + 10} questions: {full / 1024:.1f} KiB")
    print(f"sessions kept by the server: {kept} of {opened} opened (capacity {capacity}); "
          f"at most ~{capacity * full / 2**20:.0f} MiB if every kept session is full")


if __name__ == "__main__":
    main()
