"""A short run of the bounded load test (bench/load.py): 16 gradio_client clients against the
chat on 127.0.0.1. The documented full run is 60 s (README, Benchmarks); CI runs it shorter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from index.config import PROJECT_ROOT

SECONDS = float(os.environ.get("FACTCHECK_LOAD_SECONDS", "8"))


@pytest.mark.slow
def test_sixteen_clients_get_answers_without_errors(tmp_path, seeds_index_dir):
    out = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench" / "load.py"), "--seconds", str(SECONDS), "--clients", "16",
         "--index", str(seeds_index_dir), "--json", str(out), "--results", str(tmp_path)],
        capture_output=True, text=True, timeout=SECONDS + 240,
    )
    assert out.exists(), proc.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["target"].startswith("http://127.0.0.1:")
    assert result["errors"] == 0, result["error_samples"]
    assert result["requests"] >= 16
    assert result["rss_after_mb"] - result["rss_before_mb"] < 200, result
    assert proc.returncode == 0
    assert (tmp_path / "load-short.md").exists()  # the table goes to the folder asked, not bench/results
