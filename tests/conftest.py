"""Shared fixtures: one real USE-m embedder, one seeds index built once per session
in a temporary folder, and small synthetic corpora written to tmp_path.

Nothing here ever writes to the project's own ``.factcheck/`` folder:
``FACTCHECK_INDEX_DIR`` is pointed at a temporary folder for the whole session,
so even a test that forgot to pass ``index_dir`` cannot touch it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

# Hypothesis keeps caches in ./.hypothesis unless told otherwise: keep them out of the project.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "factcheck-tests-hypothesis"))

import pytest  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

from index import SEEDS_DIR, Settings, build_index, load_corpus  # noqa: E402
from index.embedders import load_embedder  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"

# No example database: the tests write nothing outside tmp dirs.
hypothesis_settings.register_profile("factcheck-tests", database=None, deadline=None)
hypothesis_settings.load_profile("factcheck-tests")

SEED_IDS = {
    "000": "000_f31368bb9600fd75",
    "001": "001_8f1574add7a039ff",
    "002": "002_8ca2b7bc640dccbd",
    "003": "003_841e72b438b65ddd",
    "004": "004_65969bad2b7e0fd7",
}

# A small Chinese corpus with three unrelated topics (two Simplified, one
# Traditional). Facts are invented so that nothing here overlaps the seeds.
SMALL_CORPUS = {
    "library.txt": (
        "青山市图书馆于2018年正式开放，藏书超过120万册。\n"
        "馆长李明表示，图书馆每年接待读者约80万人次。\n"
        "\n"
        "图书馆的古籍修复中心拥有专业修复师十二名。\n"
    ),
    "harbor.txt": (
        "海风航运公司2024年营业收入为8.6亿元，同比增长35%。\n"
        "公司净亏损收窄至1.2亿元，董事长王强称明年有望盈利。\n"
    ),
    "bridge.md": (
        "紅河大橋全長3.2公里，於2021年通車。\n"
        "大橋總投資約45億元，由省交通集團負責建設。\n"
    ),
}

# A tiny English corpus for embedders that only know English (st: models).
ENGLISH_CORPUS = {
    "volcano.txt": "Mount Kestrel erupted in 1884 and buried the village of Arnholt under ash.\n",
    "football.txt": "The Riverside Rovers won the regional football cup after a penalty shoot-out.\n",
    "bakery.txt": "The Blue Door bakery sells sourdough bread baked in a wood-fired oven.\n",
}


def write_corpus(folder: Path, files: dict[str, str | bytes], sources: dict | None = None) -> Path:
    """Write ``files`` (text as UTF-8, bytes as is) and an optional sources.json into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if sources is not None:
        (folder / "sources.json").write_text(json.dumps(sources, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="session", autouse=True)
def _private_default_index_dir(tmp_path_factory):
    """Point the default index location away from the project for the whole session."""
    old = os.environ.get("FACTCHECK_INDEX_DIR")
    os.environ["FACTCHECK_INDEX_DIR"] = str(tmp_path_factory.mktemp("default-index") / "index")
    yield
    if old is None:
        os.environ.pop("FACTCHECK_INDEX_DIR", None)
    else:
        os.environ["FACTCHECK_INDEX_DIR"] = old


@pytest.fixture(scope="session")
def use_embedder():
    """The real USE-m embedder, loaded once."""
    return load_embedder("use-m")


@pytest.fixture(scope="session")
def seed_sources() -> dict:
    return json.loads((SEEDS_DIR / "sources.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_corpus():
    """``(documents, problems)`` of the real seeds."""
    return load_corpus(SEEDS_DIR)


@pytest.fixture(scope="session")
def seed_docs(seed_corpus):
    return {d.doc_id: d for d in seed_corpus[0]}


@pytest.fixture(scope="session")
def seeds_build(tmp_path_factory, use_embedder):
    """The seeds indexed ONCE per session, with the real USE-m, FAISS and bm25s, in a tmp dir."""
    directory = tmp_path_factory.mktemp("seeds-index") / "index"
    settings = Settings(corpus_dir=SEEDS_DIR, index_dir=directory)
    index, problems = build_index(settings, embedder=use_embedder, progress=False)
    return settings, index, problems


@pytest.fixture(scope="session")
def seeds_index_dir(seeds_build) -> Path:
    return Path(seeds_build[0].index_dir)


@pytest.fixture(scope="session")
def seeds_index(seeds_build):
    return seeds_build[1]


@pytest.fixture(scope="session")
def fc(seeds_index_dir):
    """A FactChecker opened the public way on the session's seeds index (never rebuilding)."""
    from retriever import FactChecker

    return FactChecker.load(index_dir=seeds_index_dir, rebuild=False)


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """A fresh copy of the small Chinese corpus, safe to edit."""
    return write_corpus(tmp_path / "corpus", SMALL_CORPUS)


@pytest.fixture
def small_index(tmp_path, small_corpus, use_embedder):
    """An index of :data:`SMALL_CORPUS` in tmp_path: ``(settings, index)``."""
    settings = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "index")
    index, _ = build_index(settings, embedder=use_embedder, progress=False)
    return settings, index


@pytest.fixture(scope="session")
def cli_index_dir(tmp_path_factory, seeds_index_dir) -> Path:
    """A private copy of the seeds index for CLI subprocesses."""
    target = tmp_path_factory.mktemp("cli") / "index"
    shutil.copytree(seeds_index_dir, target)
    return target


@pytest.fixture(scope="session")
def seed_ids() -> dict[str, str]:
    """Short names ("000") of the seed articles → their doc ids."""
    return dict(SEED_IDS)


@pytest.fixture(scope="session")
def corpus_writer():
    """:func:`write_corpus`, for tests that lay out their own corpus folder."""
    return write_corpus


@pytest.fixture(scope="session")
def checker_for(tmp_path_factory, use_embedder):
    """``checker_for(name, files, sources=None)``: a FactChecker over ``files`` (and an optional
    sources.json), indexed with the real embedder in a fresh temporary folder."""
    from retriever import FactChecker

    def build(name: str, files: dict[str, str | bytes], sources: dict | None = None) -> "FactChecker":
        folder = tmp_path_factory.mktemp(name)
        corpus = write_corpus(folder / "corpus", files, sources)
        build_index(Settings(corpus_dir=corpus, index_dir=folder / "index"), embedder=use_embedder, progress=False)
        return FactChecker.load(index_dir=folder / "index", rebuild=False)

    return build


@pytest.fixture(scope="session")
def small_corpus_files() -> dict[str, str]:
    return dict(SMALL_CORPUS)


@pytest.fixture(scope="session")
def english_corpus_files() -> dict[str, str]:
    return dict(ENGLISH_CORPUS)


@pytest.fixture(scope="session")
def factcheck_exe() -> Path:
    return VENV_BIN / "factcheck"
