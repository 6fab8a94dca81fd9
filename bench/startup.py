"""Start-up time: process start -> main window first painted, in fresh processes.

    .venv/bin/python bench/startup.py [--runs N]

Variants, measured in the same run, interleaved round by round:
  bare       QApplication + an empty QMainWindow (the floor any PySide6 program pays)
  app        the program on a data dir set up with a school (no wizard), no pupils
  app_1500   the same with 1500 pupils imported (the benchmark list of tests/fixtures)

How: for every run the parent takes `time.time()` right before `subprocess.Popen` and passes it
in $BENCH_T0; the child (bench/_startup_driver.py) prints `time.time() - BENCH_T0` at the first
Paint event of the shown window ("shown"), and at a few earlier points, then quits. The parent
also records the wall time from Popen to the child's exit ("wall", includes shutdown). One
warm-up round is run first and discarded (cold disk cache), then N rounds (default 7).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Report, ms, summary

DRIVER = Path(__file__).resolve().parent / "_startup_driver.py"
SCHOOL = ["--school", "МБОУ «Гимназия № 3»", "--login", "sch123456"]


def _cli() -> list[str]:
    """The `vpr-coordinator` console script of this venv, else the same entry via `-m ui`."""
    script = Path(sys.executable).with_name("vpr-coordinator" + (".exe" if os.name == "nt" else ""))
    return [str(script)] if script.exists() else [sys.executable, "-m", "ui"]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    if sys.platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def _prepare(base: Path) -> dict[str, Path]:
    """Data dirs set up once, through the real command line."""
    from tests.fixtures.pupil_lists import big_list_xlsx

    dirs = {"app": base / "school", "app_1500": base / "school_1500"}
    for data_dir in dirs.values():
        subprocess.run(_cli() + ["--data-dir", str(data_dir), "init", *SCHOOL], check=True,
                       stdout=subprocess.DEVNULL, env=_child_env())
    pupils = big_list_xlsx(base, n=1500)
    subprocess.run(_cli() + ["--data-dir", str(dirs["app_1500"]), "import-students", str(pupils)],
                   check=True, stdout=subprocess.DEVNULL, env=_child_env())
    return dirs


def _run_once(variant: str, dirs: dict[str, Path], env: dict[str, str]) -> dict[str, float]:
    args = [sys.executable, str(DRIVER), "bare"] if variant == "bare" else \
        [sys.executable, str(DRIVER), "app", str(dirs[variant])]
    env = dict(env)
    t0 = time.time()
    env["BENCH_T0"] = repr(t0)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
                            encoding="utf-8", errors="replace")
    out, err = proc.communicate(timeout=120)
    wall = time.time() - t0
    if proc.returncode != 0 or not out.strip():
        raise SystemExit(f"startup driver ({variant}) failed with {proc.returncode}:\n{out}\n{err}")
    marks = json.loads(out.strip().splitlines()[-1])
    marks["wall"] = wall
    return marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="measured rounds (default 7, at least 5)")
    args = parser.parse_args(argv)
    runs = max(args.runs, 5)
    variants = ["bare", "app", "app_1500"]
    report = Report("startup")
    env = _child_env()
    report.figure("qt_qpa_platform", env.get("QT_QPA_PLATFORM", "(default)"))
    report.figure("runs", runs)
    base = Path(tempfile.mkdtemp(prefix="vpr-bench-startup-"))
    try:
        dirs = _prepare(base)
        results: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
        for round_no in range(runs + 1):  # round 0 is the warm-up
            for variant in variants:
                marks = _run_once(variant, dirs, env)
                if round_no:
                    results[variant].append(marks)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    for variant in variants:
        rows = results[variant]
        shown = summary([r["painted"] for r in rows])
        wall = summary([r["wall"] for r in rows])
        report.figure(f"{variant}_shown_median_ms", shown["median_ms"], "ms",
                      f"{variant}: start -> window shown, median")
        report.figure(f"{variant}_shown_min_ms", shown["min_ms"], "ms", f"{variant}: start -> window shown, min")
        report.figure(f"{variant}_wall_median_ms", wall["median_ms"], "ms",
                      f"{variant}: start -> process exited, median")
        for stage in ("python_up", "imports", "window"):
            report.figure(f"{variant}_{stage}_median_ms", ms(statistics.median(r[stage] for r in rows)), "ms",
                          f"{variant}: start -> {stage}, median")
    for variant in ("app", "app_1500"):
        extra = report.data[f"{variant}_shown_median_ms"] - report.data["bare_shown_median_ms"]
        report.figure(f"{variant}_over_bare_median_ms", round(extra, 1), "ms",
                      f"{variant} minus bare (medians)")
    report.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
