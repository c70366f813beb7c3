"""Shared fixtures for the gold-set evaluation: the real default index, loaded once."""

from __future__ import annotations

import pytest

from index.config import PROJECT_ROOT
from retriever import FactChecker
from retriever.evaluation import TOPICS_DIR, load_gold

REPORT_DIR = PROJECT_ROOT / "artifacts" / "eval"
_TABLES: list[str] = []


def _report(table: str, name: str) -> None:
    _TABLES.append(table)
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / f"{name}.txt").write_text(table + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def report():
    """``report(table, name)``: print the table after the run and write it under artifacts/eval/."""
    return _report


@pytest.fixture(scope="session")
def fc() -> FactChecker:
    """The default index of the bundled seeds, built if missing or stale."""
    return FactChecker.load(progress=False)


@pytest.fixture(scope="session")
def topics_fc(tmp_path_factory) -> FactChecker:
    """An index of the multi-topic articles (eval/topics/corpus), built for the session."""
    return FactChecker.load(index_dir=tmp_path_factory.mktemp("topics") / "index", corpus_dir=TOPICS_DIR / "corpus",
                            progress=False)


@pytest.fixture(scope="session")
def gold():
    return load_gold()


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if _TABLES:
        terminalreporter.section("gold-set evaluation")
        for table in _TABLES:
            terminalreporter.write_line(table)
            terminalreporter.write_line("")
