"""Shared helpers of the benchmark scripts (files starting with `_` are not run by run_all.py).

Output contract of every bench script: plain text, one figure per line ("name: value unit"),
then, as the very last line, one JSON object `{"bench": NAME, ...figures}` that run_all.py and
anyone else can parse.
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `tests.fixtures` is not installed; the packages are (editable)
    sys.path.insert(0, str(ROOT))


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (ru_maxrss: KiB on Linux, bytes on macOS)."""
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment() -> dict[str, Any]:
    import os

    return {"python": platform.python_version(), "platform": platform.platform(terse=True),
            "cpus": os.cpu_count(), "commit": git_commit(),
            "qpa": os.environ.get("QT_QPA_PLATFORM", "")}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def summary(values: list[float]) -> dict[str, float]:
    """Median and min (and max) of timings in seconds, as milliseconds."""
    return {"median_ms": ms(statistics.median(values)), "min_ms": ms(min(values)), "max_ms": ms(max(values))}


class Report:
    """Collects figures, prints each as it comes, and the JSON line at the end."""

    def __init__(self, bench: str) -> None:
        self.data: dict[str, Any] = {"bench": bench, "env": environment()}
        print(f"# {bench}: python {self.data['env']['python']}, {self.data['env']['cpus']} CPUs, "
              f"commit {self.data['env']['commit']}", flush=True)

    def figure(self, key: str, value: Any, unit: str = "", label: str | None = None) -> None:
        self.data[key] = value
        print(f"{label or key}: {value}{' ' + unit if unit else ''}", flush=True)

    def note(self, text: str) -> None:
        print(f"# {text}", flush=True)

    def finish(self) -> None:
        print(json.dumps(self.data, ensure_ascii=False), flush=True)
