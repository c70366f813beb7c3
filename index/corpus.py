"""Reading a corpus folder into :class:`Document` objects.

Files are decoded (UTF-8 with or without BOM, UTF-16 with BOM, GB18030, Big5),
binary or undecodable files are refused with a message naming the file, and
page furniture (image placeholders, platform notices, disclaimers, credits)
is marked so it never becomes an answer passage. The original text is kept
untouched: every offset in the index points into it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import CorpusError
from .text import detect_script, fold, is_probably_text, trim_span

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md")
METADATA_FILE = "sources.json"
#: optional example questions of a corpus (a JSON list of strings), offered by the chat
EXAMPLES_FILE = "examples.json"
MAX_EXAMPLES = 8
MAX_EXAMPLES_BYTES = 64 * 1024
MAX_FILE_BYTES = 20 * 1024 * 1024
# sources.json of an archive of a million passages (~50,000 articles at ~110 bytes each) is ~6 MB
MAX_METADATA_BYTES = 16 * 1024 * 1024
#: the fields ``sources.json`` may give a document (each a string; null means not given)
METADATA_FIELDS = ("title", "publisher", "byline", "date", "date_note", "script")
#: what a fingerprint records for a file that could not be read (so it is not "changed" forever)
UNREADABLE = "unreadable"
_BLOCK = 1 << 20

_FURNITURE = [
    re.compile(p)
    for p in (
        r"^!\[[^\]]*\]\([^)]*\)$",  # markdown image placeholder
        r"^(免责声明|特别声明|声明|版权声明|notice|disclaimer)\s*[:：]",
        r"^(the end|end|-+|=+|\*+)$",
        r"公网安备|icp备",
        r"(图片来源|头图来源|图源)\s*[:：]",
        r"[（(]图\s*[:：][^）)]*[）)]$",  # photo caption "（图：Shutterstock）"
        r"^文\s*[|｜]\s*.{0,20}作者",  # byline "文 | ... 作者 ..."
        r"^.{0,16}编译.{0,8}\d{4}-\d{2}-\d{2}",  # dateline "某财经网编译李明 2025-03-01 09:30"
        r"仅提供信息存储服务|only provides information storage services",
        r"未经授权禁止转载",
    )
]


@dataclass(frozen=True)
class Document:
    """One source article: its original text and what is known about it.

    ``content_spans`` are the ``(start, end)`` character ranges of the blocks
    (runs of adjacent lines) that are real content, not page furniture.
    """

    doc_id: str
    path: str
    text: str
    sha256: str
    encoding: str
    script: str
    title: str = ""
    publisher: str = ""
    byline: str = ""
    date: str | None = None
    date_note: str = ""
    content_spans: tuple[tuple[int, int], ...] = field(default=())

    def source(self) -> dict[str, object]:
        """The metadata shown beside a citation (no text)."""
        return {
            "doc_id": self.doc_id,
            # The file name only: answers travel over the chat's API, and a key named
            # "path" would make Gradio clients try to download it as a file.
            "file": Path(self.path).name,
            "title": self.title,
            "publisher": self.publisher,
            "byline": self.byline,
            "date": self.date,
            "date_note": self.date_note,
            "script": self.script,
        }

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["content_spans"] = [list(s) for s in self.content_spans]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "Document":
        data = dict(data)
        data["content_spans"] = tuple(tuple(s) for s in data.get("content_spans", ()))  # type: ignore[union-attr]
        return cls(**data)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Problem:
    """A file that was left out of the corpus, and why."""

    path: str
    reason: str


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _open_regular(path: Path):  # type: ignore[no-untyped-def]
    """Open ``path`` for reading only if it is a regular file: a pipe, device or folder raises
    :class:`CorpusError` at once (opened non-blocking, so a FIFO cannot hang the reader)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror}).") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise CorpusError(f"{path.name}: is not a regular file (a folder, pipe or device).")
    return os.fdopen(fd, "rb")


def hash_file(path: Path) -> str:
    """SHA-256 of a regular file, read in blocks (memory does not grow with the file);
    :data:`UNREADABLE` when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with _open_regular(path) as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
    except (CorpusError, OSError):
        return UNREADABLE
    return digest.hexdigest()


def corpus_entries(corpus_dir: Path) -> tuple[list[Path], list[Problem]]:
    """The ``.txt``/``.md`` files directly in ``corpus_dir``, sorted by name, and the ones left out:
    links that lead outside the folder (never followed) and anything that is not a regular file."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus folder {corpus_dir} does not exist or is not a folder.")
    root = corpus_dir.resolve()
    files: list[Path] = []
    problems: list[Problem] = []
    for path in sorted(corpus_dir.iterdir()):
        if path.suffix.lower() not in SUFFIXES or path.name.startswith("."):
            continue
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(root):
                problems.append(Problem(str(path), f"{path.name}: is a link to {target}, outside the corpus "
                                                   "folder; links out of the folder are not followed."))
                continue
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            problems.append(Problem(str(path), f"{path.name}: cannot be read ({exc.strerror})."))
            continue
        if not stat.S_ISREG(mode):
            problems.append(Problem(str(path), f"{path.name}: is not a regular file (a folder, pipe or device); skipped."))
            continue
        files.append(path)
    return files, problems


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The ``.txt``/``.md`` files of ``corpus_dir`` that can be indexed (see :func:`corpus_entries`)."""
    return corpus_entries(corpus_dir)[0]


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode file bytes to text; return ``(text, encoding)`` or raise :class:`CorpusError`."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{name}: starts with a UTF-16 mark but is not valid UTF-16 ({exc.reason}).") from None
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{name}: looks like a binary file (it contains NUL bytes); only text files can be indexed.")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = _decode_chinese_legacy(data, name)
    if not is_probably_text(text[:20000]):
        raise CorpusError(f"{name}: looks like a binary file (mostly control characters); only text files can be indexed.")
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def _decode_chinese_legacy(data: bytes, name: str) -> tuple[str, str]:
    # GB18030 and Big5 byte ranges overlap, so a Big5 file usually "decodes" as
    # GB18030 into nonsense. Decode with both and keep the one whose text reads
    # as Chinese: the larger share of characters inside dictionary words.
    candidates = []
    for encoding in ("gb18030", "big5"):
        try:
            candidates.append((data.decode(encoding), encoding))
        except UnicodeDecodeError:
            continue
    if not candidates:
        raise CorpusError(
            f"{name}: cannot be decoded as UTF-8, GB18030 or Big5; save it as UTF-8 and try again."
        )
    if len(candidates) == 1:
        return candidates[0]
    return max(candidates, key=lambda c: _chinese_score(c[0]))


def _chinese_score(text: str) -> float:
    from .text import _jieba  # the tokenizer's dictionary is the judge

    sample = fold(text[:5000])
    words = _jieba().lcut(sample, HMM=False)
    freq = _jieba().FREQ
    in_words = sum(len(w) for w in words if len(w) > 1 and freq.get(w))
    cjk = sum(1 for c in sample if "\u4e00" <= c <= "\u9fff") or 1
    return in_words / cjk


def is_furniture(line: str) -> bool:
    """True for page furniture: image placeholders, notices, disclaimers, credits."""
    probe = fold(line).strip().lower()
    if not probe:
        return True
    return any(p.search(probe) for p in _FURNITURE)


def content_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Blocks of ``text`` that are content: runs of adjacent non-blank lines that are
    not page furniture, each trimmed of surrounding spaces."""
    blocks: list[tuple[int, int]] = []
    pos = 0
    open_block: list[int] | None = None
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if is_furniture(line):
            open_block = None
            continue
        if open_block is None:
            open_block = [start, end]
            blocks.append((start, end))
        else:
            open_block[1] = end
            blocks[-1] = (open_block[0], end)
    return tuple(trim_span(text, s, e) for s, e in blocks)


def read_document(path: Path, metadata: dict[str, object] | None = None, doc_id: str | None = None) -> Document:
    """Read one file into a :class:`Document`, or raise :class:`CorpusError` naming it."""
    with _open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_FILE_BYTES:
            raise CorpusError(f"{path.name}: {size / 1e6:.1f} MB is over the {MAX_FILE_BYTES // 2**20} MiB limit "
                              "for one document; split it.")
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise CorpusError(f"{path}: cannot be read ({exc.strerror}).") from None
    if len(data) > MAX_FILE_BYTES:  # it grew while being read
        raise CorpusError(f"{path.name}: over the {MAX_FILE_BYTES // 2**20} MiB limit for one document; split it.")
    text, encoding = decode(data, path.name)
    spans = content_spans(text)
    if not spans:
        raise CorpusError(f"{path.name}: has no text to index (empty, or only page furniture).")
    meta = dict(metadata or {})
    first = text[spans[0][0]:spans[0][1]].split("\n", 1)[0].strip()
    return Document(
        doc_id=doc_id or path.stem,
        path=str(path),
        text=text,
        sha256=file_sha256(data),
        encoding=encoding,
        script=str(meta.get("script") or detect_script(text)),
        title=str(meta.get("title") or first[:80]),
        publisher=str(meta.get("publisher") or ""),
        byline=str(meta.get("byline") or ""),
        date=(str(meta["date"]) if meta.get("date") else None),
        date_note=str(meta.get("date_note") or ""),
        content_spans=spans,
    )


def read_metadata(corpus_dir: Path, problems: list[Problem] | None = None) -> dict[str, dict[str, object]]:
    """The optional ``sources.json`` beside the articles: ``{doc_id: {field: value}}``.

    A file that is not a JSON object of objects raises :class:`CorpusError`. A field that is not
    a string, or a date that is not an ISO date (``2025-07-01``, ``2025-07``, ``2025``), is left
    out and reported in ``problems``: an unreadable date must not make an article "the latest".
    """
    path = corpus_dir / METADATA_FILE
    if not path.exists() and not path.is_symlink():
        return {}
    try:
        data = json.loads(_read_small(corpus_dir, path, MAX_METADATA_BYTES).decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{path}: is not valid JSON ({exc}); fix or remove it.") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise CorpusError(f"{path}: must map each document id to an object of fields.")
    out: dict[str, dict[str, object]] = {}
    for doc_id, fields in data.items():
        kept: dict[str, object] = {}
        for name, value in fields.items():
            if value is None or name not in METADATA_FIELDS:
                continue
            if not isinstance(value, str):
                _report(problems, path, f"{METADATA_FILE}: {doc_id}.{name} is not text ({type(value).__name__}); ignored.")
                continue
            if name == "date" and not is_iso_date(value):
                _report(problems, path, f"{METADATA_FILE}: {doc_id}.date {value[:40]!r} is not an ISO date "
                                        "(YYYY-MM-DD); the article is treated as undated.")
                continue
            kept[name] = value.strip()
        out[doc_id] = kept
    return out


def _read_small(corpus_dir: Path, path: Path, limit: int) -> bytes:
    """The bytes of a small file of the corpus folder (sources.json, examples.json): a regular
    file inside the folder, at most ``limit`` bytes, else :class:`CorpusError`."""
    if path.is_symlink() and not path.resolve().is_relative_to(corpus_dir.resolve()):
        raise CorpusError(f"{path}: is a link to {path.resolve()}, outside the corpus folder; "
                          "links out of the folder are not followed.")
    try:
        with _open_regular(path) as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror}).") from None
    if len(raw) > limit:
        raise CorpusError(f"{path}: is over {limit // 2**10:,} KiB, too large for {path.name}.")
    return raw


_ISO_PARTIAL = re.compile(r"\d{4}(-\d{2})?")


def is_iso_date(value: str) -> bool:
    """``2025-07-01`` (a time may follow), ``2025-07`` or ``2025``, with a real month and day."""
    value = value.strip()
    if _ISO_PARTIAL.fullmatch(value):
        return len(value) == 4 or 1 <= int(value[5:7]) <= 12
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _report(problems: list[Problem] | None, path: Path, reason: str) -> None:
    """A file or entry left out: returned to the caller, who reports it once (the CLI prints each
    as ``skipped: …``); logged as a warning only when nobody collects it."""
    if problems is None:
        log.warning("%s", reason)
    else:
        log.debug("%s", reason)
        problems.append(Problem(str(path), reason))


def read_examples(corpus_dir: Path) -> list[str]:
    """The optional ``examples.json`` beside the articles: questions worth asking of them (at most
    ``MAX_EXAMPLES``, each under 300 characters). A missing or malformed file gives none: the
    examples are a help, never a reason to refuse a corpus."""
    path = Path(corpus_dir) / EXAMPLES_FILE
    if not path.exists() and not path.is_symlink():
        return []
    try:
        data = json.loads(_read_small(Path(corpus_dir), path, MAX_EXAMPLES_BYTES).decode("utf-8-sig"))
    except (CorpusError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("%s: not read (%s); the chat shows no examples", path, exc)
        return []
    if not isinstance(data, list):
        log.warning("%s: must be a list of questions; the chat shows no examples", path)
        return []
    return [q.strip() for q in data if isinstance(q, str) and q.strip() and len(q) < 300][:MAX_EXAMPLES]


@dataclass(frozen=True)
class Corpus:
    """What was read from a corpus folder: the documents, the files left out (with reasons), and
    the SHA-256 of every file as it was read (the index records these, so a file changed while
    an index is built makes that index out of date instead of silently missing the change)."""

    documents: list[Document]
    problems: list[Problem]
    hashes: dict[str, str]


def read_corpus(corpus_dir: Path) -> Corpus:
    """Read every usable file of a corpus folder; raises :class:`CorpusError` when none is usable."""
    corpus_dir = Path(corpus_dir)
    files, problems = corpus_entries(corpus_dir)
    hashes: dict[str, str] = {}
    meta_path = corpus_dir / METADATA_FILE
    if meta_path.exists() or meta_path.is_symlink():
        hashes[METADATA_FILE] = hash_file(meta_path)
    metadata = read_metadata(corpus_dir, problems)
    documents: list[Document] = []
    by_hash: dict[str, str] = {}
    ids: set[str] = set()
    for path in files:
        doc_id = path.stem if path.stem not in ids else path.name
        try:
            doc = read_document(path, metadata.get(path.stem), doc_id=doc_id)
        except CorpusError as exc:
            hashes[path.name] = hash_file(path)
            _report(problems, path, str(exc))
            continue
        hashes[path.name] = doc.sha256
        if doc.sha256 in by_hash:
            problems.append(Problem(str(path), f"{path.name}: same content as {by_hash[doc.sha256]}; skipped as a duplicate."))
            continue
        by_hash[doc.sha256] = path.name
        ids.add(doc.doc_id)
        documents.append(doc)
    if not documents:
        detail = "; ".join(p.reason for p in problems) or "no .txt or .md files"
        raise CorpusError(f"No usable documents in {corpus_dir} ({detail}).")
    return Corpus(documents, problems, hashes)


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[Problem]]:
    """The documents of a corpus folder and the files left out (see :func:`read_corpus`)."""
    corpus = read_corpus(corpus_dir)
    return corpus.documents, corpus.problems
