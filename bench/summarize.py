"""Copy the latest results (bench/results/*.json) into bench/README.md, between the markers.

    python bench/summarize.py

Each benchmark writes its full table set to bench/results/<name>.md; the README carries the
targets of every benchmark and the tables that matter most.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

START, END = "<!-- results:start -->", "<!-- results:end -->"
# benchmark → title prefixes of the tables copied into the README (all tables stay in results/<name>.md)
KEEP = {
    "build": ("build_index(", "`factcheck index", "Peak memory"),
    "query": ("Warm latency", "Mean warm FactChecker.ask", "Cold commands", "Cold start of"),
    "embedders": ("Throughput of", "Two threads", "Indexing throughput"),
    "langchain_baseline": ("Build of seeds", "Query latency", "Where a query"),
    "scale": ("FAISS:", "BM25:", "Index layer written", "The project's build_index", "The project at each size",
              "Where a search", "Where the RSS"),
}
CONDITIONS = ("cores (os.cpu_count)", "cpu model", "python", "numpy", "faiss", "thread env", "loadavg at start",
              "loadavg at end", "corpus", "corpus / index", "corpora", "embeddings", "runs per kind", "questions",
              "search settings", "benchmark wall time")


def section(name: str) -> list[str]:
    path = C.RESULTS_DIR / f"{name}.json"
    if not path.exists():
        return [f"### {name}", "", f"(not run yet: `python bench/{name}.py`)", ""]
    data = json.loads(path.read_text(encoding="utf-8"))
    report = C.Report(name, data["title"], data["argv"])
    report.conditions = data["conditions"]
    cmd = " ".join(["python", f"bench/{name}.py", *data["argv"]])
    import time

    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(data["started"]))
    out = [f"### {data['title']}", "", f"`{cmd}` — {when}, {data['elapsed_s']:.0f} s. Full tables: "
           f"[results/{name}.md](results/{name}.md)", ""]
    if data["targets"]:
        out += C.Report._md_table(["figure", "measured", "target", "met"],
                                  [[t["figure"], f"{C._cell(t['value'])} {t['unit']}".strip(), t["target"],
                                    "**yes**" if t["met"] else "**NO**"] for t in data["targets"]])
        out.append("")
    for table in data["tables"]:
        if table["title"].startswith(KEEP.get(name, ())):
            out += [f"**{table['title']}**", ""]
            out += C.Report._md_table(table["columns"], table["rows"])
            if table.get("note"):
                out += ["", f"_{table['note']}_"]
            out.append("")
    cond = [[k, v] for k, v in data["conditions"].items() if k in CONDITIONS]
    if cond:
        out += ["<details><summary>conditions</summary>", ""] + C.Report._md_table(["", ""], cond) + ["", "</details>", ""]
    return out


def main() -> None:
    readme = C.BENCH_DIR / "README.md"
    text = readme.read_text(encoding="utf-8")
    body = []
    for name in KEEP:
        body += section(name)
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    readme.write_text(head + START + "\n\n" + "\n".join(body) + "\n" + END + tail, encoding="utf-8")
    print(f"updated {readme}")


if __name__ == "__main__":
    main()
