"""A fault matrix: every fault ends in a clear error (a FactCheckError that says what to do)
or a safe rebuild, never a raw traceback, and never a damaged or replaced index.

tests/test_store.py already covers truncated/edited index files, bad manifests, a
failed embedding, a failed bm25 write and a reader racing a publish. This file adds:

(a) `factcheck index` killed (SIGKILL) at several moments of a build;
(b) a read-only index folder (chmod, and injected PermissionError, since root ignores chmod);
(c) a full disk (injected ENOSPC at each write, and a real small tmpfs when it can be mounted);
(d) an index of another embedder or another dimension;
(e) damaged tables (documents.jsonl, texts.bin, chunks.npy, sentence_spans.npy) / tokens.jsonl;
(f) corpus files changed, added, removed, unreadable;
(g) `factcheck ask --no-rebuild` on damaged indexes;
(h) a malformed vocabulary file given with FACTCHECK_LEXICON.

Each test records its fault and outcome in FAULTS; the last test writes the table to
artifacts/faults.md.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from index import (
    SEEDS_DIR,
    CorpusError,
    FactCheckError,
    IndexCorruptError,
    IndexStaleError,
    IndexWriteError,
    Settings,
    build_index,
    load_index,
    read_manifest,
    stale_reasons,
)
from index import store as store_module
from index import update as update_module
from index.config import PROJECT_ROOT
from index.corpus import MAX_METADATA_BYTES, read_examples
from retriever import FactChecker

SMALL_IDS = {"library", "harbor", "bridge"}
LIBRARY_Q = "青山市图书馆藏书多少册？"
SEED_QUESTIONS = ("智谱2025年上半年的净亏损是多少？", "What was Zhipu's revenue in 2024?", "智譜的股票代碼是多少？")
MUSEUM = "星河博物馆收藏文物三万件，馆长是赵敏。\n"

# --------------------------------------------------------------------------- the registry

#: fault name → {"expected": ..., "outcome": ..., "ok": bool}; filled by the tests below
FAULTS: dict[str, dict[str, object]] = {}


@contextlib.contextmanager
def fault(name: str, expected: str):
    """Record one fault: the test sets ``entry["outcome"]``; an exception marks it not survived."""
    entry: dict[str, object] = {"expected": expected, "outcome": "(no outcome recorded)", "ok": False}
    FAULTS[name] = entry
    try:
        yield entry
    except pytest.skip.Exception as exc:
        entry["outcome"] = f"skipped: {exc}"
        entry["ok"] = None
        raise
    except BaseException as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        entry["outcome"] = f"NOT SURVIVED — {type(exc).__name__}: {first[:160]}"
        raise
    entry["ok"] = True


def _describe(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first[:140]}"


# --------------------------------------------------------------------------- helpers


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): _sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def _current(directory: Path) -> str:
    return (directory / "CURRENT").read_text(encoding="ascii").strip()


def _gen_verifies(gen: Path) -> bool:
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    return all((gen / rel).is_file() and _sha256(gen / rel) == digest for rel, digest in manifest["files"].items())


def _leftovers(directory: Path) -> list[str]:
    """Half-written things a failed or killed build may leave in an index folder."""
    return sorted(p.name for p in directory.iterdir() if p.name.startswith((".tmp-", f".{store_module.CURRENT}.tmp")))


def assert_previous_index_intact(directory: Path, current: str, generation: dict[str, str]) -> None:
    """CURRENT unchanged, its generation byte-identical, nothing half-written, and it loads."""
    assert _current(directory) == current
    assert _snapshot(directory / current) == generation
    assert _leftovers(directory) == [], _leftovers(directory)
    for gen in directory.iterdir():  # an unpublished generation may remain only if complete
        if gen.is_dir() and gen.name.startswith("gen-"):
            assert _gen_verifies(gen), gen
    load_index(directory)
    assert FactChecker.load(index_dir=directory, rebuild=False).status == "loaded"


def _edit_manifest(gen: Path, edit) -> None:  # type: ignore[no-untyped-def]
    path = gen / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    edit(manifest)
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def _reseal(gen: Path, *names: str) -> None:
    """Recompute the manifest checksums of edited files (the manifest itself has none)."""
    _edit_manifest(gen, lambda m: m["files"].update({n: _sha256(gen / n) for n in names}))


def _answers(fc: FactChecker) -> list[str]:
    out = []
    for question in SEED_QUESTIONS:
        data = fc.ask(question).to_dict()
        out.append(json.dumps({k: data[k] for k in ("verdict", "answer", "citations")}, ensure_ascii=False, sort_keys=True))
        out.append(json.dumps([(p.doc_id, p.chunk_id, round(p.score, 5)) for p in fc.search(question, k=5)]))
    return out


def run_cli(exe: Path, *args: str, env_extra: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    assert "FACTCHECK_INDEX_DIR" in env  # the session points it away from the project
    env.update(env_extra or {})
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=timeout)


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def assert_clean_cli_error(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, \
        f"raw traceback, exit {result.returncode}: {_last_line(result.stderr)[:200]}\n{result.stderr[-3000:]}"
    assert result.returncode == 2, \
        f"exit {result.returncode}, not 2: {_last_line(result.stderr)[:200]}\n{result.stdout[-500:]}"
    errors = [line for line in result.stderr.splitlines() if line.startswith("factcheck: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.fixture
def small(small_index):
    """``(settings, index_dir, corpus_dir)`` of a fresh small index in tmp_path."""
    settings, _ = small_index
    return settings, Path(settings.index_dir), Path(settings.corpus_dir)


class MemoEmbedder:
    """The real embedder, remembering vectors by text, so repeated builds of one corpus are fast."""

    def __init__(self, real) -> None:  # type: ignore[no-untyped-def]
        self.real, self.name, self.dim = real, real.name, real.dim
        self.memo: dict[str, np.ndarray] = {}

    def embed_passages(self, texts, progress=None):  # type: ignore[no-untyped-def]
        texts = list(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            for t, v in zip(missing, self.real.embed_passages(missing)):
                self.memo[t] = v
        if progress:
            progress(len(texts))
        return np.array([self.memo[t] for t in texts], dtype=np.float32).reshape(len(texts), self.dim)

    def embed_queries(self, texts):  # type: ignore[no-untyped-def]
        return self.real.embed_queries(texts)


# ===================================================================== (a) killed builds

KILL_MOMENTS = [
    ("0.5 s after start", 0.5),
    ("1.5 s after start", 1.5),
    ("3 s after start", 3.0),
    ("as the indexing progress bar appears", "progress"),
    ("as a .tmp-gen-* folder appears", "tmpgen"),
]


@pytest.fixture(scope="module")
def kill_env(tmp_path_factory, use_embedder):
    """A copy of the seeds (never the project's folder) and its index, with the answers it gives."""
    root = tmp_path_factory.mktemp("kill")
    corpus = root / "corpus"
    shutil.copytree(SEEDS_DIR, corpus)
    directory = root / "index"
    build_index(Settings(corpus_dir=corpus, index_dir=directory), use_embedder, progress=False)
    baseline = _answers(FactChecker.load(index_dir=directory, rebuild=False))
    return corpus, directory, baseline, root


def _run_and_kill(exe: Path, corpus: Path, directory: Path, when, log: Path) -> tuple[int, float | None]:  # type: ignore[no-untyped-def]
    env = dict(os.environ)
    with open(log, "wb") as err:
        proc = subprocess.Popen([str(exe), "index", "--corpus", str(corpus), "--index", str(directory)],
                                stdout=subprocess.DEVNULL, stderr=err, env=env)
    start = time.monotonic()
    killed_after = None
    try:
        while proc.poll() is None and time.monotonic() - start < 180:
            elapsed = time.monotonic() - start
            if isinstance(when, float):
                hit = elapsed >= when
            elif when == "progress":
                hit = b"indexing with" in log.read_bytes()
            else:
                hit = any(name.startswith(".tmp-gen-") for name in os.listdir(directory))
            if hit:
                proc.send_signal(signal.SIGKILL)
                killed_after = elapsed
                break
            time.sleep(0.002 if when == "tmpgen" else 0.01)
    finally:
        if proc.poll() is None and killed_after is None:
            proc.kill()  # our own child, by its id
        proc.wait(timeout=60)
    return proc.returncode, killed_after


@pytest.mark.slow
def test_a_killed_build_leaves_the_previous_index(kill_env, factcheck_exe, use_embedder):
    corpus, directory, baseline, root = kill_env
    problems = []
    for label, when in KILL_MOMENTS:
        name = f"(a) `factcheck index` SIGKILLed {label}"
        try:
            with fault(name, "previous index loads, CURRENT unchanged, answers identical") as entry:
                current = _current(directory)
                generation = _snapshot(directory / current)
                rc, killed_after = _run_and_kill(factcheck_exe, corpus, directory, when, root / f"log-{len(problems)}.txt")
                after = _current(directory)
                if killed_after is None:
                    assert rc == 0, f"build exited {rc} without being killed"
                    what = "build finished before the kill moment"
                elif after == current:
                    assert rc == -signal.SIGKILL
                    assert _snapshot(directory / current) == generation
                    what = f"killed at {killed_after:.2f} s; CURRENT unchanged"
                else:
                    # killed after the swap: the new generation must be whole
                    assert _gen_verifies(directory / after)
                    what = f"killed at {killed_after:.2f} s after the swap; new generation complete"
                for gen in directory.iterdir():
                    if gen.is_dir() and gen.name.startswith("gen-"):
                        assert _gen_verifies(gen), gen.name
                fc = FactChecker.load(index_dir=directory, rebuild=False)
                assert fc.status == "loaded"
                assert _answers(fc) == baseline
                left = _leftovers(directory)
                entry["outcome"] = f"survived: {what}; answers identical" + (f"; left {left}" if left else "")
        except Exception as exc:  # noqa: BLE001 - collect every moment, then fail
            problems.append(f"{label}: {_describe(exc)}")

    # whatever a killed build left behind is cleared by the next successful build
    with fault("(a) leftovers of killed builds", "the next build removes .tmp-gen-* folders") as entry:
        left_before = _leftovers(directory)
        build_index(Settings(corpus_dir=corpus, index_dir=directory), use_embedder, progress=False)
        assert _leftovers(directory) == []
        assert _answers(FactChecker.load(index_dir=directory, rebuild=False)) == baseline
        entry["outcome"] = f"survived: {len(left_before)} leftover(s) removed by the next build"
    assert not problems, problems


# ===================================================================== (b) read-only index folder


@contextlib.contextmanager
def read_only(directory: Path, monkeypatch, how: str = "replace"):  # type: ignore[no-untyped-def]
    """chmod 0o555 on the index folder and, because root ignores modes, also inject the
    PermissionError a read-only folder gives: on os.replace/os.mkdir into it, or on opening the lock."""
    directory = Path(directory)
    root = os.path.realpath(directory)

    def inside(path) -> bool:  # type: ignore[no-untyped-def]
        try:
            p = os.path.realpath(os.fspath(path))
        except TypeError:
            return False
        return p == root or p.startswith(root + os.sep)

    def denied(path):  # type: ignore[no-untyped-def]
        return PermissionError(errno.EACCES, "Permission denied", os.fspath(path))

    real_replace, real_mkdir, real_open = os.replace, os.mkdir, builtins.open

    def replace(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        if inside(dst):
            raise denied(dst)
        return real_replace(src, dst, *args, **kwargs)

    def mkdir(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if inside(path):
            raise denied(path)
        return real_mkdir(path, *args, **kwargs)

    def open_(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, (str, os.PathLike)) and os.path.basename(os.fspath(file)) == ".lock" and inside(file):
            raise denied(file)
        return real_open(file, mode, *args, **kwargs)

    mode = stat.S_IMODE(directory.stat().st_mode)
    directory.chmod(0o555)
    if how == "replace":
        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(os, "mkdir", mkdir)
    else:
        monkeypatch.setattr(builtins, "open", open_)
    try:
        yield
    finally:
        monkeypatch.undo()
        directory.chmod(mode)


@pytest.mark.parametrize("how", ["replace", "lock"])
@pytest.mark.parametrize("operation", ["build", "load after a corpus change", "add", "remove"])
def test_b_read_only_index_folder(small, monkeypatch, tmp_path, use_embedder, operation, how):
    settings, directory, corpus = small
    name = f"(b) read-only index folder ({'no rename/mkdir' if how == 'replace' else 'lock cannot open'}): {operation}"
    with fault(name, "IndexWriteError saying what to do; previous index untouched") as entry:
        current, generation = _current(directory), _snapshot(directory / _current(directory))
        corpus_before = _snapshot(corpus)
        (tmp_path / "museum.txt").write_text(MUSEUM, encoding="utf-8")
        if operation == "load after a corpus change":
            (corpus / "harbor.txt").write_text("海风航运公司2024年营业收入为9.9亿元。\n", encoding="utf-8")
            corpus_before = _snapshot(corpus)
        fc = FactChecker.load(index_dir=directory, rebuild=False) if operation in ("add", "remove") else None
        with read_only(directory, monkeypatch, how), pytest.raises(IndexWriteError) as info:
            if operation == "build":
                build_index(settings, use_embedder, progress=False)
            elif operation == "load after a corpus change":
                FactChecker.load(index_dir=directory)
            elif operation == "add":
                fc.add([tmp_path / "museum.txt"])  # type: ignore[union-attr]
            else:
                fc.remove(["harbor"])  # type: ignore[union-attr]
        message = str(info.value)
        assert str(directory) in message
        assert "Permission denied" in message
        assert "unchanged" in message or "permissions" in message or "--index" in message
        assert isinstance(info.value, FactCheckError)
        assert _current(directory) == current
        assert _snapshot(directory / current) == generation
        assert _leftovers(directory) == []
        assert _snapshot(corpus) == corpus_before  # add/remove put the corpus back
        if operation != "load after a corpus change":
            assert_previous_index_intact(directory, current, generation)
        entry["outcome"] = f"survived: IndexWriteError — {message[:90]}…"


SITE_HOOK = textwrap.dedent('''
    """Injected into `factcheck` subprocesses by tests/test_faults.py: simulate a read-only
    index folder (root ignores chmod) or a full disk under faiss."""
    import errno, os

    _mode = os.environ.get("FACTCHECK_TEST_FAULT", "")
    _root = os.path.realpath(os.environ.get("FACTCHECK_TEST_FAULT_DIR", "/nonexistent"))

    def _inside(path):
        try:
            p = os.path.realpath(os.fspath(path))
        except TypeError:
            return False
        return p == _root or p.startswith(_root + os.sep)

    if _mode == "readonly":
        _replace, _mkdir = os.replace, os.mkdir

        def replace(src, dst, *a, **k):
            if _inside(dst):
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(dst))
            return _replace(src, dst, *a, **k)

        def mkdir(path, *a, **k):
            if _inside(path):
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return _mkdir(path, *a, **k)

        os.replace, os.mkdir = replace, mkdir
    elif _mode == "dense-enospc":
        import index.store as _store

        _real_write = _store._write_streamed

        def _write_streamed(path, produce):
            if os.path.basename(os.fspath(path)) == "dense.faiss":
                raise OSError(errno.ENOSPC, "No space left on device", os.fspath(path))
            return _real_write(path, produce)

        _store._write_streamed = _write_streamed
    elif _mode == "slow-embed":
        # A build that pauses when it starts embedding: it writes FAULT_DIR/embedding, then waits
        # (at most a minute) for FAULT_DIR/release, so a test can change the corpus meanwhile.
        import time
        import index.store as _store

        _real_load = _store.load_embedder

        def load_embedder(*a, **k):
            real = _real_load(*a, **k)
            embed = real.embed_passages

            def embed_passages(texts, progress=None):
                open(os.path.join(_root, "embedding"), "w").close()
                deadline = time.time() + 60
                while not os.path.exists(os.path.join(_root, "release")) and time.time() < deadline:
                    time.sleep(0.05)
                return embed(texts, progress=progress)

            real.embed_passages = embed_passages
            return real

        _store.load_embedder = load_embedder
''')


@pytest.fixture
def site_hook(tmp_path) -> Path:
    folder = tmp_path / "site-hook"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(SITE_HOOK, encoding="utf-8")
    return folder


@pytest.mark.parametrize("command", ["index", "add", "ask after a corpus change"])
def test_b_read_only_index_folder_cli(small, site_hook, factcheck_exe, tmp_path, command):
    settings, directory, corpus = small
    with fault(f"(b) read-only index folder, CLI `factcheck {command}`", "exit 2, one clear line, no traceback") as entry:
        current, generation = _current(directory), _snapshot(directory / _current(directory))
        (tmp_path / "museum.txt").write_text(MUSEUM, encoding="utf-8")
        if command == "index":
            args = ["index", "--corpus", str(corpus), "--index", str(directory)]
        elif command == "add":
            args = ["add", str(tmp_path / "museum.txt"), "--index", str(directory)]
        else:
            (corpus / "harbor.txt").write_text("海风航运公司2024年营业收入为9.9亿元。\n", encoding="utf-8")
            args = ["ask", LIBRARY_Q, "--index", str(directory)]
        corpus_before = _snapshot(corpus)
        mode = stat.S_IMODE(directory.stat().st_mode)
        directory.chmod(0o555)
        try:
            result = run_cli(factcheck_exe, *args, env_extra={
                "PYTHONPATH": os.pathsep.join(filter(None, [str(site_hook), os.environ.get("PYTHONPATH", "")])),
                "FACTCHECK_TEST_FAULT": "readonly", "FACTCHECK_TEST_FAULT_DIR": str(directory)})
        finally:
            directory.chmod(mode)
        line = assert_clean_cli_error(result)
        assert "Permission denied" in line and str(directory) in line
        assert _current(directory) == current and _snapshot(directory / current) == generation
        assert _leftovers(directory) == []
        assert _snapshot(corpus) == corpus_before
        entry["outcome"] = f"survived: exit 2 — {line[:90]}…"


# ===================================================================== (c) disk full


def _enospc(path=None) -> OSError:  # type: ignore[no-untyped-def]
    return OSError(errno.ENOSPC, "No space left on device", None if path is None else os.fspath(path))


def _inject_disk_full(where: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Make one write of a build fail as a full disk does, after writing part of its file."""

    if where == "dense.faiss":  # streamed from FAISS through the store's own writes
        real_streamed = store_module._write_streamed

        def write_streamed(path, produce):  # type: ignore[no-untyped-def]
            if Path(path).name == where:
                with open(path, "wb") as handle:
                    written = [0]

                    def write(data):  # type: ignore[no-untyped-def]
                        if written[0] > 1000:
                            raise _enospc(path)
                        written[0] += len(data)
                        return handle.write(data)
                    produce(write)
                raise _enospc(path)  # an index smaller than the budget: the disk fills at the end
            return real_streamed(path, produce)
        monkeypatch.setattr(store_module, "_write_streamed", write_streamed)
    elif where in ("sentences.npy", "documents.jsonl", "texts.bin", "chunks.npy"):
        # the store serialises tables, FAISS and numpy arrays in memory and writes the bytes itself
        real_bytes = store_module._write_bytes

        def write_array(path, data):  # type: ignore[no-untyped-def]
            if Path(path).name == where:
                Path(path).write_bytes(bytes(data)[: len(data) // 3])
                raise _enospc(path)
            return real_bytes(path, data)
        monkeypatch.setattr(store_module, "_write_bytes", write_array)
    elif where == "tokens.jsonl":
        real = store_module._write_jsonl

        def write_jsonl(path, rows):  # type: ignore[no-untyped-def]
            if Path(path).name == where:
                Path(path).write_text('{"sentence_id": 0, "doc_', encoding="utf-8")
                raise _enospc(path)
            return real(path, rows)
        monkeypatch.setattr(store_module, "_write_jsonl", write_jsonl)
    elif where in ("manifest.json", "CURRENT pointer"):
        real = store_module._write_bytes

        def write_bytes(path, data):  # type: ignore[no-untyped-def]
            hit = Path(path).name == "manifest.json" if where == "manifest.json" else Path(path).name.startswith(".CURRENT")
            if hit:
                Path(path).write_bytes(data[: len(data) // 3])
                raise _enospc(path)
            return real(path, data)
        monkeypatch.setattr(store_module, "_write_bytes", write_bytes)
    elif where == "fsync (EIO)":
        def fsync(fd):  # type: ignore[no-untyped-def]
            raise OSError(errno.EIO, "Input/output error")
        monkeypatch.setattr(os, "fsync", fsync)
    else:  # pragma: no cover
        raise AssertionError(where)


DISK_FULL_POINTS = ["documents.jsonl", "texts.bin", "chunks.npy", "tokens.jsonl", "dense.faiss", "sentences.npy",
                    "manifest.json", "CURRENT pointer", "fsync (EIO)"]


@pytest.mark.parametrize("where", DISK_FULL_POINTS)
def test_c_disk_full_during_a_build(small, monkeypatch, use_embedder, where):
    settings, directory, corpus = small
    with fault(f"(c) disk full writing {where}", "IndexWriteError; nothing half-written; previous index loads") as entry:
        current, generation = _current(directory), _snapshot(directory / _current(directory))
        _inject_disk_full(where, monkeypatch)
        try:
            with pytest.raises(IndexWriteError) as info:
                build_index(settings, use_embedder, progress=False)
        finally:
            monkeypatch.undo()
        message = str(info.value)
        assert str(directory) in message and "unchanged" in message
        assert_previous_index_intact(directory, current, generation)
        entry["outcome"] = f"survived: IndexWriteError — {message[:80]}…"


@pytest.mark.parametrize("where", ["sentences.npy", "dense.faiss"])
def test_c_disk_full_during_a_rebuild_on_load(small, monkeypatch, where):
    # the index is stale, FactChecker.load rebuilds it, the disk is full: a clear error,
    # and the stale index is still there for `rebuild=False` readers
    settings, directory, corpus = small
    with fault(f"(c) disk full during the rebuild FactChecker.load starts ({where})",
               "IndexWriteError; previous generation untouched") as entry:
        (corpus / "museum.txt").write_text(MUSEUM, encoding="utf-8")
        current, generation = _current(directory), _snapshot(directory / _current(directory))
        _inject_disk_full(where, monkeypatch)
        try:
            with pytest.raises(IndexWriteError):
                FactChecker.load(index_dir=directory)
        finally:
            monkeypatch.undo()
        assert _current(directory) == current and _snapshot(directory / current) == generation
        assert _leftovers(directory) == []
        load_index(directory)
        with pytest.raises(IndexStaleError):
            FactChecker.load(index_dir=directory, rebuild=False)
        entry["outcome"] = "survived: IndexWriteError; old generation intact (stale, as it should say)"


@pytest.mark.parametrize("where", ["sentences.npy", "copying the second added file"])
def test_c_disk_full_during_an_add(small, monkeypatch, tmp_path, where):
    settings, directory, corpus = small
    with fault(f"(c) disk full during `add` ({where})", "IndexWriteError; corpus and index as before") as entry:
        current, generation = _current(directory), _snapshot(directory / _current(directory))
        corpus_before = _snapshot(corpus)
        corpus_names = sorted(p.name for p in corpus.iterdir())
        (tmp_path / "museum.txt").write_text(MUSEUM, encoding="utf-8")
        (tmp_path / "park.txt").write_text("东湖公园占地五百亩，每年接待游客两百万人次。\n", encoding="utf-8")
        fc = FactChecker.load(index_dir=directory, rebuild=False)
        if where == "copying the second added file":
            real, calls = shutil.copyfile, []

            def copyfile(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
                calls.append(dst)
                if len(calls) == 2:
                    Path(dst).write_bytes(Path(src).read_bytes()[:7])
                    raise _enospc(dst)
                return real(src, dst, *args, **kwargs)
            monkeypatch.setattr(update_module.shutil, "copyfile", copyfile)
        else:
            _inject_disk_full(where, monkeypatch)
        try:
            with pytest.raises(IndexWriteError):
                fc.add([tmp_path / "museum.txt", tmp_path / "park.txt"])
        finally:
            monkeypatch.undo()
        assert sorted(p.name for p in corpus.iterdir()) == corpus_names, "files left in the corpus folder"
        assert _snapshot(corpus) == corpus_before
        assert_previous_index_intact(directory, current, generation)
        entry["outcome"] = "survived: IndexWriteError; corpus and index unchanged"


def test_c_disk_full_cli_dense_enospc(small, site_hook, factcheck_exe):
    # What a user sees when the disk fills while the dense vectors are written.
    settings, directory, corpus = small
    with fault("(c) disk full writing dense.faiss, CLI `factcheck index`", "exit 2, one clear line, no traceback") as entry:
        current, generation = _current(directory), _snapshot(directory / _current(directory))
        result = run_cli(factcheck_exe, "index", "--corpus", str(corpus), "--index", str(directory), env_extra={
            "PYTHONPATH": os.pathsep.join(filter(None, [str(site_hook), os.environ.get("PYTHONPATH", "")])),
            "FACTCHECK_TEST_FAULT": "dense-enospc"})
        line = assert_clean_cli_error(result)
        assert "No space left" in line or "space" in line
        assert_previous_index_intact(directory, current, generation)
        entry["outcome"] = f"survived: exit 2 — {line[:80]}…"


@pytest.fixture
def small_tmpfs(tmp_path):
    """A real 8 MiB tmpfs (needs root / CAP_SYS_ADMIN); unmounted afterwards."""
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a real full disk needs a tmpfs mount (root); the injected ENOSPC tests cover the logic")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the injected ENOSPC tests cover the logic")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


@pytest.fixture(scope="module")
def memo_embedder(use_embedder):
    return MemoEmbedder(use_embedder)


@pytest.mark.slow
@pytest.mark.parametrize("target", ["texts.bin", "dense.faiss", "sentences.npy", "manifest.json"])
def test_c_real_full_disk(small_tmpfs, tmp_path_factory, memo_embedder, target):
    """A real ENOSPC on a small tmpfs, filled so that the build runs out of room at ``target``."""
    name = f"(c) REAL full disk (tmpfs) while writing {target}"
    with fault(name, "IndexWriteError; nothing half-written; previous index loads") as entry:
        corpus = tmp_path_factory.mktemp("fullcorpus") / "corpus"
        shutil.copytree(SEEDS_DIR, corpus)
        directory = small_tmpfs / "index"
        embedder = memo_embedder
        settings = Settings(corpus_dir=corpus, index_dir=directory)
        build_index(settings, embedder, progress=False)
        current, generation = _current(directory), _snapshot(directory / _current(directory))
        gen = directory / current
        order = ["documents.jsonl", "texts.bin", "chunks.npy", "sentence_spans.npy", "tokens.jsonl",
                 "dense.faiss", "sentences.npy", "manifest.json"]
        page = 4096
        size = lambda p: -(-p.stat().st_size // page) * page  # noqa: E731
        before = sum(size(gen / n) for n in order[: order.index(target)])
        if target == "manifest.json":
            before = sum(size(p) for p in gen.rglob("*") if p.is_file() and p.name != "manifest.json")
        # room for the files written before the target, and less than the target needs
        room = before if target == "manifest.json" else before + page
        if target != "manifest.json":
            assert size(gen / target) > 2 * page
        filler = small_tmpfs / "filler"
        with open(filler, "wb") as handle:
            handle.write(b"\x00" * max(0, shutil.disk_usage(small_tmpfs).free - room))
        try:
            with pytest.raises(IndexWriteError) as info:
                build_index(settings, embedder, progress=False)
        finally:
            filler.unlink()
        assert_previous_index_intact(directory, current, generation)
        message = str(info.value)
        assert "No space left" in message or "space" in message.lower(), \
            f"index safe, but the message does not say the disk is full: {message}"
        entry["outcome"] = "survived: IndexWriteError (real ENOSPC); previous index loads"


# ===================================================================== (d) other embedder / dimension


class _Truncated:
    """USE-m cut to its first 384 dimensions, but still called use-m: an index of another
    dimension under the same name (an upgraded model, or a hand-copied index)."""

    def __init__(self, real) -> None:  # type: ignore[no-untyped-def]
        self.real, self.name, self.dim = real, real.name, 384

    def _cut(self, v):  # type: ignore[no-untyped-def]
        v = np.asarray(v, dtype=np.float32)[:, :384]
        return np.ascontiguousarray(v / np.linalg.norm(v, axis=1, keepdims=True), dtype=np.float32)

    def embed_passages(self, texts, progress=None):  # type: ignore[no-untyped-def]
        return self._cut(self.real.embed_passages(list(texts)))

    def embed_queries(self, texts):  # type: ignore[no-untyped-def]
        return self._cut(self.real.embed_queries(list(texts)))


def _make_other_embedder_index(kind: str, directory: Path, settings: Settings, use_embedder) -> None:  # type: ignore[no-untyped-def]
    if kind == "vectors of another dimension (384) under the same name":
        build_index(settings, _Truncated(use_embedder), progress=False)
        return
    gen = directory / _current(directory)
    if kind == "manifest names e5-small (vectors are use-m's)":
        _edit_manifest(gen, lambda m: m["embedder"].update(name="e5-small"))
    elif kind == "manifest names an unknown embedder":
        _edit_manifest(gen, lambda m: m["embedder"].update(name="word2vec-xl"))
    elif kind == "manifest names e5-small at 384 dims (vectors are 512)":
        _edit_manifest(gen, lambda m: m["embedder"].update(name="e5-small", dim=384))
    else:  # pragma: no cover
        raise AssertionError(kind)


OTHER_EMBEDDER = ["vectors of another dimension (384) under the same name",
                  "manifest names e5-small (vectors are use-m's)",
                  "manifest names an unknown embedder",
                  "manifest names e5-small at 384 dims (vectors are 512)"]


@pytest.mark.parametrize("kind", OTHER_EMBEDDER)
def test_d_index_of_another_embedder_without_rebuild(small, use_embedder, kind):
    settings, directory, corpus = small
    with fault(f"(d) {kind}, rebuild=False", "IndexStaleError/IndexCorruptError (or EmbedderError), no raw error") as entry:
        _make_other_embedder_index(kind, directory, settings, use_embedder)
        before = _snapshot(directory)
        try:
            fc = FactChecker.load(index_dir=directory, rebuild=False)
        except FactCheckError as exc:
            assert "factcheck index" in str(exc) or "install" in str(exc) or "embedder" in str(exc), str(exc)
            entry["outcome"] = f"survived: {_describe(exc)}"
        else:
            # loading is only acceptable if questions then work
            answer = fc.ask(LIBRARY_Q)
            assert fc.embedder.dim == fc.index.dim
            entry["outcome"] = f"survived: loaded and answered ({answer.verdict})"
        assert _snapshot(directory) == before


@pytest.mark.parametrize("kind", OTHER_EMBEDDER)
def test_d_index_of_another_embedder_is_rebuilt_or_refused(small, use_embedder, kind):
    settings, directory, corpus = small
    with fault(f"(d) {kind}, FactChecker.load()", "rebuilt from its own corpus, or a clear FactCheckError") as entry:
        _make_other_embedder_index(kind, directory, settings, use_embedder)
        try:
            fc = FactChecker.load(index_dir=directory)
        except FactCheckError as exc:
            entry["outcome"] = f"survived: refused — {_describe(exc)}"
            return
        assert set(fc.index.documents) == SMALL_IDS
        assert fc.embedder.dim == fc.index.dim and fc.embedder.name == fc.index.embedder_name
        assert fc.search(LIBRARY_Q, k=1)[0].doc_id == "library"
        entry["outcome"] = f"survived: {fc.status[:60]} ({fc.index.embedder_name}, {fc.index.dim}-d)"


def test_d_index_of_another_dimension_cli(small, use_embedder, factcheck_exe):
    settings, directory, corpus = small
    with fault("(d) vectors of another dimension, CLI `ask --no-rebuild`", "exit 2, one clear line, no traceback") as entry:
        build_index(settings, _Truncated(use_embedder), progress=False)
        line = assert_clean_cli_error(run_cli(factcheck_exe, "ask", LIBRARY_Q, "--index", str(directory), "--no-rebuild"))
        assert "factcheck index" in line
        entry["outcome"] = f"survived: exit 2 — {line[:80]}…"


# ===================================================================== (e) damaged tables / tokens.jsonl


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _drop_last_line(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")


def _edit_bytes(path: Path, old: str, new: str) -> None:
    data = path.read_bytes()
    assert old.encode() in data, f"{old!r} not in {path.name}"
    path.write_bytes(data.replace(old.encode(), new.encode(), 1))


def _reverse_first_span(path: Path) -> None:
    rows = np.load(path)
    rows[0, 1], rows[0, 2] = rows[0, 2], rows[0, 1] - 1
    np.save(path, rows)


def _rows_with_columns(path: Path, columns: int) -> None:
    """Rewrite an array of rows with another number of columns (the reader must refuse it)."""
    rows = np.load(path)
    np.save(path, np.zeros((rows.shape[0], columns), dtype=rows.dtype))


SENTENCES_TOKENS_DAMAGE = {
    "sentence_spans.npy truncated": lambda gen: _truncate(gen / "sentence_spans.npy"),
    "sentence_spans.npy deleted": lambda gen: (gen / "sentence_spans.npy").unlink(),
    "texts.bin figure edited": lambda gen: _edit_bytes(gen / "texts.bin", "8.6亿元", "9.9亿元"),
    "texts.bin truncated": lambda gen: _truncate(gen / "texts.bin"),
    "sentence_spans.npy a span reversed (checksum resealed)": lambda gen: (
        _reverse_first_span(gen / "sentence_spans.npy"), _reseal(gen, "sentence_spans.npy")),
    "sentence_spans.npy rows of another width (checksum resealed)": lambda gen: (
        _rows_with_columns(gen / "sentence_spans.npy", 2), _reseal(gen, "sentence_spans.npy")),
    "chunks.npy points past the documents (checksum resealed)": lambda gen: (
        np.save(gen / "chunks.npy", np.load(gen / "chunks.npy") + np.array([99, 0, 0, 0, 0], dtype=np.int32)),
        _reseal(gen, "chunks.npy")),
    "documents.jsonl garbage line (checksum resealed)": lambda gen: (
        (gen / "documents.jsonl").write_text((gen / "documents.jsonl").read_text(encoding="utf-8") + "{not json\n",
                                             encoding="utf-8"), _reseal(gen, "documents.jsonl")),
    "tokens.jsonl truncated": lambda gen: _truncate(gen / "tokens.jsonl"),
    "tokens.jsonl deleted": lambda gen: (gen / "tokens.jsonl").unlink(),
    "tokens.jsonl emptied": lambda gen: (gen / "tokens.jsonl").write_bytes(b""),
}

HARBOR_Q = "海风航运公司2024年营业收入是多少？"


def _harbor_revenue(fc) -> str:  # type: ignore[no-untyped-def]
    """The revenue the checker reads from the harbor article (a value read at question time)."""
    answer = fc.ask(HARBOR_Q)
    assert answer.check is not None, answer.text
    return answer.check.values[0].value


@pytest.mark.parametrize("damage", list(SENTENCES_TOKENS_DAMAGE))
def test_e_damaged_sentences_or_tokens(small, damage):
    settings, directory, corpus = small
    with fault(f"(e) {damage}", "IndexCorruptError naming the fix; FactChecker.load rebuilds") as entry:
        gen = directory / _current(directory)
        SENTENCES_TOKENS_DAMAGE[damage](gen)
        with pytest.raises(IndexCorruptError) as info:
            load_index(directory)
        assert "factcheck index" in str(info.value)
        with pytest.raises(IndexCorruptError):
            FactChecker.load(index_dir=directory, rebuild=False)
        fc = FactChecker.load(index_dir=directory)
        assert fc.status.startswith("rebuilt")
        assert set(fc.index.documents) == SMALL_IDS
        assert _harbor_revenue(fc) == "8.6亿元"
        assert fc.search(LIBRARY_Q, k=1)[0].doc_id == "library"
        assert stale_reasons(read_manifest(directory)) == []
        entry["outcome"] = f"survived: {_describe(info.value)[:70]}…; rebuilt"


@pytest.mark.parametrize("damage", ["rows missing", "garbage line"])
@pytest.mark.parametrize("operation", ["add", "remove"])
def test_e_resealed_tokens_jsonl_during_an_update(small, tmp_path, damage, operation):
    # tokens.jsonl is read only by add/remove (load_index does not need it): if it no
    # longer matches the chunks, an update must refuse cleanly, not crash.
    settings, directory, corpus = small
    with fault(f"(e) tokens.jsonl {damage} (checksum resealed), then `{operation}`",
               "IndexCorruptError/CorpusError; nothing changed") as entry:
        gen = directory / _current(directory)
        if damage == "rows missing":
            _drop_last_line(gen / "tokens.jsonl")
        else:
            with open(gen / "tokens.jsonl", "a", encoding="utf-8") as handle:
                handle.write('["unterminated\n')
        _reseal(gen, "tokens.jsonl")
        fc = FactChecker.load(index_dir=directory, rebuild=False)
        (tmp_path / "museum.txt").write_text(MUSEUM, encoding="utf-8")
        before, corpus_before = _snapshot(directory), _snapshot(corpus)
        with pytest.raises(FactCheckError) as info:
            if operation == "add":
                fc.add([tmp_path / "museum.txt"])
            else:
                fc.remove(["harbor"])
        assert "factcheck index" in str(info.value)
        assert _snapshot(directory) == before
        assert _snapshot(corpus) == corpus_before
        entry["outcome"] = f"survived: {_describe(info.value)[:80]}…"


# ===================================================================== (f) corpus changes


def _change_corpus(corpus: Path, change: str) -> str:
    """Apply one change; return the file name the stale message must name."""
    if change == "file changed":
        (corpus / "harbor.txt").write_text("海风航运公司2024年营业收入为9.9亿元。\n", encoding="utf-8")
        return "harbor.txt"
    if change == "file added":
        (corpus / "museum.txt").write_text(MUSEUM, encoding="utf-8")
        return "museum.txt"
    if change == "file removed":
        (corpus / "bridge.md").unlink()
        return "bridge.md"
    if change == "file renamed":
        (corpus / "bridge.md").rename(corpus / "bridge-2021.md")
        return "bridge"
    if change == "file replaced by a binary":
        (corpus / "bridge.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        return "bridge.md"
    if change == "file touched, same bytes":
        path = corpus / "harbor.txt"
        path.write_bytes(path.read_bytes())
        os.utime(path, (time.time() + 100, time.time() + 100))
        return ""
    raise AssertionError(change)  # pragma: no cover


EXPECTED_DOCS = {
    "file changed": SMALL_IDS,
    "file added": SMALL_IDS | {"museum"},
    "file removed": SMALL_IDS - {"bridge"},
    "file renamed": {"library", "harbor", "bridge-2021"},
    "file replaced by a binary": SMALL_IDS - {"bridge"},
}


@pytest.mark.parametrize("change", list(EXPECTED_DOCS) + ["file touched, same bytes"])
def test_f_corpus_change(small, change):
    settings, directory, corpus = small
    with fault(f"(f) corpus {change}", "IndexStaleError with rebuild=False; FactChecker.load rebuilds") as entry:
        current, generation = _current(directory), _snapshot(directory / _current(directory))
        named = _change_corpus(corpus, change)
        if not named:  # nothing to rebuild
            fc = FactChecker.load(index_dir=directory, rebuild=False)
            assert fc.status == "loaded"
            entry["outcome"] = "survived: still up to date (content hashes, not times)"
            return
        with pytest.raises(IndexStaleError) as info:
            FactChecker.load(index_dir=directory, rebuild=False)
        assert named in str(info.value) and "factcheck index" in str(info.value)
        assert _current(directory) == current and _snapshot(directory / current) == generation
        fc = FactChecker.load(index_dir=directory)
        assert fc.status.startswith("rebuilt")
        assert set(fc.index.documents) == EXPECTED_DOCS[change]
        if change == "file changed":
            assert _harbor_revenue(fc) == "9.9亿元"
        if change == "file replaced by a binary":
            assert [Path(s["path"]).name for s in fc.index.manifest["skipped"]] == ["bridge.md"]
        assert FactChecker.load(index_dir=directory, rebuild=False).status == "loaded"
        entry["outcome"] = "survived: IndexStaleError naming the file; rebuilt on load"


@pytest.mark.parametrize("change", ["sources.json invalid", "every file removed", "corpus folder deleted"])
def test_f_corpus_unusable(small, change):
    settings, directory, corpus = small
    with fault(f"(f) corpus {change}", "a clear CorpusError/IndexStaleError or the old index served; old index kept") as entry:
        current, generation = _current(directory), _snapshot(directory / _current(directory))
        if change == "sources.json invalid":
            (corpus / "sources.json").write_text("{not json", encoding="utf-8")
        elif change == "every file removed":
            for p in list(corpus.iterdir()):
                p.unlink()
        else:
            shutil.rmtree(corpus)
        try:
            fc = FactChecker.load(index_dir=directory)
        except FactCheckError as exc:
            assert "Traceback" not in str(exc)
            assert ("sources.json" in str(exc)) if change == "sources.json invalid" else True
            outcome = f"survived: {_describe(exc)[:90]}"
        else:
            # with the corpus folder gone, the index is all there is: it is served as built
            assert change == "corpus folder deleted", fc.status
            assert fc.status == "loaded" and set(fc.index.documents) == SMALL_IDS
            assert fc.search(LIBRARY_Q, k=1)[0].doc_id == "library"
            outcome = "survived: the index is served as built (its corpus is gone)"
        assert _current(directory) == current and _snapshot(directory / current) == generation
        load_index(directory)
        entry["outcome"] = outcome


def test_f_corpus_change_cli_no_rebuild(small, factcheck_exe):
    settings, directory, corpus = small
    with fault("(f) corpus file changed, CLI `ask --no-rebuild`", "exit 2 naming the file") as entry:
        _change_corpus(corpus, "file changed")
        line = assert_clean_cli_error(run_cli(factcheck_exe, "ask", LIBRARY_Q, "--index", str(directory), "--no-rebuild"))
        assert "harbor.txt" in line and "factcheck index" in line
        result = run_cli(factcheck_exe, "ask", LIBRARY_Q, "--index", str(directory), "--json")
        assert result.returncode == 0, result.stderr
        assert "(index rebuilt" in result.stderr
        entry["outcome"] = "survived: exit 2 with --no-rebuild; rebuilt and answered without it"


# ===================================================================== (g) CLI on damaged indexes


CLI_DAMAGE = {
    "dense.faiss truncated": lambda gen, d: _truncate(gen / "dense.faiss"),
    "sentence_spans.npy truncated": lambda gen, d: _truncate(gen / "sentence_spans.npy"),
    "texts.bin truncated": lambda gen, d: _truncate(gen / "texts.bin"),
    "tokens.jsonl deleted": lambda gen, d: (gen / "tokens.jsonl").unlink(),
    "sentences.npy deleted": lambda gen, d: (gen / "sentences.npy").unlink(),
    "manifest.json truncated": lambda gen, d: _truncate(gen / "manifest.json"),
    "bm25 folder deleted": lambda gen, d: shutil.rmtree(gen / "bm25"),
    "generation folder deleted": lambda gen, d: shutil.rmtree(gen),
    "CURRENT names a missing generation": lambda gen, d: (d / "CURRENT").write_text("gen-does-not-exist\n"),
    "CURRENT points outside the index": lambda gen, d: (d / "CURRENT").write_text("../../../etc\n"),
}


@pytest.mark.parametrize("damage", list(CLI_DAMAGE))
def test_g_cli_ask_no_rebuild_on_a_damaged_index(small, factcheck_exe, damage):
    settings, directory, corpus = small
    with fault(f"(g) CLI `ask --no-rebuild`: {damage}", "exit 2, one clear line, no traceback, nothing written") as entry:
        CLI_DAMAGE[damage](directory / _current(directory), directory)
        before = _snapshot(directory)
        line = assert_clean_cli_error(run_cli(factcheck_exe, "ask", LIBRARY_Q, "--index", str(directory), "--no-rebuild"))
        assert str(directory) in line and "factcheck index" in line
        assert _snapshot(directory) == before
        entry["outcome"] = f"survived: exit 2 — {line[:80]}…"


@pytest.mark.parametrize("damage", ["dense.faiss truncated", "sentence_spans.npy truncated", "generation folder deleted"])
def test_g_cli_ask_rebuilds_a_damaged_index(small, factcheck_exe, damage):
    settings, directory, corpus = small
    with fault(f"(g) CLI `ask` (rebuild allowed): {damage}", "rebuilt from its own corpus, exit 0") as entry:
        CLI_DAMAGE[damage](directory / _current(directory), directory)
        result = run_cli(factcheck_exe, "ask", LIBRARY_Q, "--index", str(directory), "--json")
        assert "Traceback" not in result.stderr
        if result.returncode == 2:
            entry["outcome"] = f"survived: refused — {assert_clean_cli_error(result)[:80]}"
            return
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert {c["doc_id"] for c in data["citations"]} <= SMALL_IDS
        assert set(load_index(directory).documents) == SMALL_IDS
        entry["outcome"] = "survived: rebuilt from its own corpus, answered"


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage\n"])
def test_g_unreadable_current_never_swaps_in_the_seeds(small, content):
    # CURRENT emptied or garbled (a crash of some other tool, a bad copy): loading must not
    # quietly build the bundled seeds into this folder and delete the user's generation.
    settings, directory, corpus = small
    label = "emptied" if not content else "garbled"
    with fault(f"(g) CURRENT {label}, FactChecker.load()", "rebuild from its own corpus or a clear error; never the seeds") as entry:
        old = _current(directory)
        (directory / "CURRENT").write_bytes(content)
        try:
            fc = FactChecker.load(index_dir=directory)
        except FactCheckError as exc:
            entry["outcome"] = f"survived: {_describe(exc)[:90]}"
        else:
            assert set(fc.index.documents) == SMALL_IDS, f"{fc.status}: now holds {sorted(fc.index.documents)}"
            entry["outcome"] = f"survived: {fc.status[:60]}"
        assert (directory / old).is_dir(), "the user's generation was deleted"


# ===================================================================== (h) a malformed vocabulary file


VOCABULARY_DAMAGE = {
    "unknown dimension": 'language = "zh"\n[units]\n"里" = ["lenght", 500.0]\n',
    "a word with two meanings": 'language = "zh"\n[counters]\n"米" = "thing"\n',
    "not TOML": 'language = "zh"\n[units\n',
    "binary file": "\x00\x01\x02\xff",
}


@pytest.mark.parametrize("damage", list(VOCABULARY_DAMAGE))
def test_h_malformed_vocabulary_file(small, factcheck_exe, tmp_path, damage):
    settings, directory, corpus = small
    with fault(f"(h) FACTCHECK_LEXICON: {damage}", "exit 2, one line naming the file; the index untouched") as entry:
        bad = tmp_path / "my-words.toml"
        text = VOCABULARY_DAMAGE[damage]
        bad.write_bytes(text.encode("latin-1") if damage == "binary file" else text.encode("utf-8"))
        before = _snapshot(directory)
        line = assert_clean_cli_error(run_cli(factcheck_exe, "ask", HARBOR_Q, "--index", str(directory), "--no-rebuild",
                                              env_extra={"FACTCHECK_LEXICON": str(bad)}))
        assert "my-words.toml" in line
        assert _snapshot(directory) == before
        entry["outcome"] = f"survived: exit 2 — {line[:80]}…"


# ===================================================================== (i) changes during a build

MUSEUM_Q = "星河博物馆收藏文物多少件？"


def _start_paused_build(factcheck_exe: Path, site_hook: Path, corpus: Path, directory: Path, signals: Path):
    """`factcheck index` in a subprocess, paused as it starts embedding (see SITE_HOOK)."""
    signals.mkdir()
    env = dict(os.environ)
    env.update({"PYTHONPATH": os.pathsep.join(filter(None, [str(site_hook), os.environ.get("PYTHONPATH", "")])),
                "FACTCHECK_TEST_FAULT": "slow-embed", "FACTCHECK_TEST_FAULT_DIR": str(signals)})
    build = subprocess.Popen([str(factcheck_exe), "index", "--corpus", str(corpus), "--index", str(directory)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 120
    while not (signals / "embedding").exists():
        assert build.poll() is None, build.communicate()[1][-2000:]
        assert time.time() < deadline, "the build never started embedding"
        time.sleep(0.05)
    return build


@pytest.mark.parametrize("change", ["add", "remove", "edit by hand"])
def test_i_corpus_changed_while_an_index_is_built(small, site_hook, factcheck_exe, tmp_path, change):
    # The build has read the corpus and is embedding when the change lands. Before: the build
    # recorded the corpus as it was at the end, so an added file was "indexed" (up to date, in the
    # manifest) yet missing from the documents, and a second add said it was already there.
    settings, directory, corpus = small
    with fault(f"(i) {change} while `factcheck index` embeds", "the change is indexed, or the index says it is stale") as entry:
        build = _start_paused_build(factcheck_exe, site_hook, corpus, directory, tmp_path / "signals")
        other = None
        if change == "add":
            (tmp_path / "museum.txt").write_text(MUSEUM, encoding="utf-8")
            other = subprocess.Popen([str(factcheck_exe), "add", str(tmp_path / "museum.txt"), "--index", str(directory)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        elif change == "remove":
            other = subprocess.Popen([str(factcheck_exe), "remove", "bridge", "--index", str(directory)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        else:
            (corpus / "harbor.txt").write_text("海风航运公司2024年营业收入为9.9亿元。\n", encoding="utf-8")
        if other is not None:  # let it finish if it can (it could before); a waiting one is released below
            with contextlib.suppress(subprocess.TimeoutExpired):
                other.wait(timeout=8)
        (tmp_path / "signals" / "release").touch()
        _, err = build.communicate(timeout=240)
        assert build.returncode == 0, err[-2000:]
        if other is not None:
            out, err = other.communicate(timeout=240)
            assert other.returncode == 0, err[-2000:]

        def reflects(fc: FactChecker) -> bool:
            if change == "add":
                return "museum" in fc.index.documents and fc.ask(MUSEUM_Q).citations[0].doc_id == "museum"
            if change == "remove":
                return "bridge" not in fc.index.documents and not (corpus / "bridge.md").exists()
            return _harbor_revenue(fc) == "9.9亿元"

        stale = stale_reasons(read_manifest(directory))
        if not stale:  # "up to date" must be true
            assert reflects(FactChecker.load(index_dir=directory, rebuild=False)), "up to date, but the change is missing"
        fc = FactChecker.load(index_dir=directory)
        assert reflects(fc)
        assert FactChecker.load(index_dir=directory, rebuild=False).status == "loaded"
        if change == "add":  # a second add of the same file: already there, and really so
            again = run_cli(factcheck_exe, "add", str(tmp_path / "museum.txt"), "--index", str(directory))
            assert again.returncode == 0 and "already indexed" in again.stderr, again.stderr
        entry["outcome"] = ("survived: stale, then rebuilt with the change" if stale
                            else "survived: the change waited for the build and is indexed")


def test_i_links_out_of_the_corpus_are_not_followed(small, tmp_path):
    settings, directory, corpus = small
    with fault("(i) a corpus link to a file outside the folder", "skipped and reported; never indexed or quoted") as entry:
        secret = tmp_path / "outside" / "secret.txt"
        secret.parent.mkdir()
        secret.write_text("机密：星河博物馆的保险库密码是739182。\n", encoding="utf-8")
        (corpus / "passwd.txt").symlink_to("/etc/passwd")
        (corpus / "secret.txt").symlink_to(secret)
        (corpus / "inside.md").symlink_to(corpus / "library.txt")  # a link inside the folder is a file of it
        index, problems = build_index(settings.with_(index_dir=tmp_path / "i2"), progress=False)
        reasons = {Path(p.path).name: p.reason for p in problems}
        assert "outside the corpus folder" in reasons["passwd.txt"] and "outside the corpus folder" in reasons["secret.txt"]
        assert "passwd" not in index.documents and "secret" not in index.documents
        assert not any("739182" in d.text or "root:" in d.text for d in index.documents.values())
        fc = FactChecker.load(index_dir=tmp_path / "i2", rebuild=False)
        assert fc.status == "loaded"  # the skipped links do not make it stale
        assert "739182" not in json.dumps(fc.ask("保险库密码是多少？").to_dict(), ensure_ascii=False)
        entry["outcome"] = "survived: both links skipped with a reason; nothing quoted"


@pytest.mark.parametrize("kind", ["fifo", "folder named like an article", "sources.json is a folder",
                                  "sources.json is huge", "sources.json links to /dev/zero", "sources.json bad fields",
                                  "file of 30 MB", "examples.json is a fifo"])
def test_i_special_files_in_the_corpus(small, tmp_path, kind):
    settings, directory, corpus = small
    with fault(f"(i) corpus holds {kind}", "skipped or a clear CorpusError; no hang, bounded memory") as entry:
        if kind == "fifo":
            os.mkfifo(corpus / "pipe.txt")
        elif kind == "folder named like an article":
            (corpus / "folder.md").mkdir()
        elif kind == "sources.json is a folder":
            (corpus / "sources.json").mkdir()
        elif kind == "sources.json is huge":
            with open(corpus / "sources.json", "wb") as handle:
                handle.write(b'{"library": {"title": "' + b"x" * (MAX_METADATA_BYTES + 2**20) + b'"}}')
        elif kind == "sources.json links to /dev/zero":
            (corpus / "sources.json").symlink_to("/dev/zero")
        elif kind == "examples.json is a fifo":
            os.mkfifo(corpus / "examples.json")
        elif kind == "sources.json bad fields":
            (corpus / "sources.json").write_text(json.dumps({
                "library": {"date": "yesterday", "publisher": None, "byline": 7},
                "harbor": {"date": "2025-13-45"},
                "bridge": {"date": "2025-02-01", "publisher": "桥报"}}), encoding="utf-8")
        else:
            with open(corpus / "big.txt", "wb") as handle:
                handle.truncate(30 * 2**20)  # sparse: 30 MB of NUL bytes
        target = settings.with_(index_dir=tmp_path / "i3")
        try:
            index, problems = build_index(target, progress=False)
        except CorpusError as exc:
            assert kind.startswith("sources.json"), exc
            assert "sources.json" in str(exc) and "Traceback" not in str(exc)
            with pytest.raises(CorpusError, match="sources.json"):
                FactChecker.load(index_dir=directory)  # stale now, and the rebuild says why
            entry["outcome"] = f"survived: {_describe(exc)[:90]}"
            return
        reasons = " | ".join(p.reason for p in problems)
        assert set(index.documents) == SMALL_IDS, reasons
        if kind == "sources.json bad fields":
            docs = index.documents
            assert docs["library"].date is None and docs["harbor"].date is None and docs["bridge"].date == "2025-02-01"
            assert docs["library"].publisher == "" and docs["library"].byline == ""  # null/7 never shown as "None"/"7"
            assert "'yesterday' is not an ISO date" in reasons and "'2025-13-45' is not an ISO date" in reasons
        elif kind == "examples.json is a fifo":
            assert read_examples(corpus) == []  # no examples, and no hang
        else:
            assert "regular file" in reasons or "limit" in reasons, reasons
        fc = FactChecker.load(index_dir=tmp_path / "i3", rebuild=False)
        assert fc.status == "loaded"
        entry["outcome"] = f"survived: {reasons[:90]}"


def test_i_fingerprint_hashes_in_blocks(small):
    # a 64 MB file is skipped as too large; checking freshness must not read it whole into memory
    settings, directory, corpus = small
    with fault("(i) a 64 MB file: freshness check memory", "hashed in blocks (peak well under the file size)") as entry:
        with open(corpus / "huge.txt", "wb") as handle:
            handle.truncate(64 * 2**20)
        import tracemalloc

        tracemalloc.start()
        reasons = stale_reasons(read_manifest(directory))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert any("huge.txt" in r for r in reasons)
        assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MiB traced"
        entry["outcome"] = f"survived: peak {peak / 2**20:.1f} MiB while hashing 64 MiB"


# ===================================================================== summary


def test_zz_fault_summary_is_written():
    """Write the fault table to artifacts/faults.md (the run's faults only; run the whole file for all)."""
    assert FAULTS, "no fault was tried"
    tried = len(FAULTS)
    survived = sum(1 for e in FAULTS.values() if e["ok"] is True)
    skipped = sum(1 for e in FAULTS.values() if e["ok"] is None)
    failed = tried - survived - skipped

    def cell(text: object) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = [
        "# Fault matrix",
        "",
        f"Written by `tests/test_faults.py` on {time.strftime('%Y-%m-%d %H:%M:%S')} "
        f"(Python {sys.version.split()[0]}, uid {os.geteuid()}).",
        "",
        f"**{tried} faults tried: {survived} survived, {failed} not survived, {skipped} skipped.**",
        "",
        "| # | fault | expected | outcome | survived |",
        "|---|---|---|---|---|",
    ]
    for i, (name, entry) in enumerate(FAULTS.items(), 1):
        mark = {True: "yes", False: "**NO**", None: "skipped"}[entry["ok"]]  # type: ignore[index]
        lines.append(f"| {i} | {cell(name)} | {cell(entry['expected'])} | {cell(entry['outcome'])} | {mark} |")
    path = PROJECT_ROOT / "artifacts" / "faults.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    assert path.read_text(encoding="utf-8").count("\n| ") == tried + 1
