"""A whole school year at full speed (issue 9): every figure on a year-sized store, side by side
with its baseline measured in the same run, as ratios.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/year_store.py [--only GROUPS] [--out FILE.json]

The store (built once, 15–60 min depending on the machine's load, cached under
bench/out/year_store/<key>/, see bench/_year_build.py): 1500 pupils of grades 4–8 in 60
classes; 30 works (6 subjects × grades 4–8) from ФИС ОКО form templates, dated April 2026 (all
past their 90-day retention); ≈ 9000 participants, every one scored in every task; ≈ 20,000
scanned pages (100 dpi greyscale JPEG: a labelled title page + 1–2 plain pages per participant)
imported by the real scan importer. Beside it, one work of 1500 participants (one grade, as
bench/exports.py builds it) for the figures stated per 1500 participants of one work.

Every measurement runs on a fresh working copy of the cached store (files hard-linked, the
database copied) in child processes, so the cache is never changed and this parent stays small
(its children's peak memory is their own). Groups (`--only a,b`; default all):

  startup   process start → first paint of the main window on the year store, against a bare
            PySide6 window; fresh processes, interleaved, medians (bench/_startup_driver.py)
  gui       the GUI stall detector (bench/_stall.py, bench/_year_gui.py): start-up to settled,
            the purge offer, opening every page, switching work on every page, 50 scores with
            every page opened (typed + Enter → committed), moving to the next participant; one
            line per action with the longest stall, the total time and the GUI thread's CPU
  purge     purge candidates (`scans.retention.purge_candidates`, what the start-up offer and
            «Сканы» use) on the year store; the full lists (`expired_works`) for context
  cli       `vpr-coordinator --data-dir D list works` on the year store, `scores --work` on the
            1500-participant work, each against `python -c "import sqlite3"`; whole processes,
            alternating, medians
  form      the ФИС ОКО form export of 1500 participants against an openpyxl load + save of the
            same template, in one process, alternating, CPU time
  scan_import  one batch of pages imported into an empty store and into the year store (pages/s
            must not fall), and its CPU time (the importer and its worker processes) against a
            plain Pillow decode of the same JPEG files
  labels    the labels PDF against the code slips for the same 1500 participants, CPU time
  verify_backup  `verify` of the year store against `sha256sum` of its files, `backup` against
            `tar` of the same files; whole processes; peak memory of each (ru_maxrss of the child)

Slow actions are capped (`--cap`, seconds per measured child or GUI action; the GUI child as a
whole gets `--gui-cap`): what passes the cap is reported as "over the cap" and the run goes on.

Output: "name: value unit" lines, then one JSON line (bench/_common.py); `--out` also writes it.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import ROOT, Report, ms

HERE = Path(__file__).resolve().parent
GROUPS = ("startup", "gui", "purge", "cli", "form", "scan_import", "labels", "verify_backup")
IMMUTABLE_AREAS = ("scans", "templates", "audio", "attachments")   # content-addressed, never rewritten


# -- processes ------------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def cli() -> list[str]:
    script = Path(sys.executable).with_name("vpr-coordinator")
    return [str(script)] if script.exists() else [sys.executable, "-m", "coordinator_app"]


def measured(cmd: list[str], timeout: float, cwd: Path | None = None, stdout_file: Path | None = None) -> dict[str, Any]:
    """Run `cmd` as a whole process: wall time, CPU (user+sys of it and its reaped children),
    peak RSS (ru_maxrss of wait4: the child's own, this parent is small), exit code."""
    out = open(stdout_file, "wb") if stdout_file else subprocess.DEVNULL
    err = tempfile.TemporaryFile()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=_env(), cwd=cwd)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdout_file:
        out.close()
    err.seek(0)
    stderr = err.read().decode("utf-8", "replace")
    err.close()
    timed_out = wall >= timeout and proc.returncode != 0
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_mib": usage.ru_maxrss / 1024,
            "rc": proc.returncode, "timed_out": timed_out, "stderr": stderr[-2000:]}


def child_json(args: list[str], timeout: float) -> dict[str, Any]:
    """Run this script's child mode; its last stdout line is JSON."""
    with tempfile.NamedTemporaryFile(suffix=".out", delete=False) as tmp:
        path = Path(tmp.name)
    try:
        result = measured([sys.executable, str(Path(__file__).resolve()), "--child", *args], timeout,
                          cwd=ROOT, stdout_file=path)
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    finally:
        path.unlink(missing_ok=True)
    if result["timed_out"]:
        return {"timed_out": True, **result}
    if result["rc"] != 0 or not text:
        raise RuntimeError(f"child {args[0]} failed ({result['rc']}):\n{result['stderr']}")
    data = json.loads(text[-1])
    data["process"] = {k: result[k] for k in ("wall", "cpu", "maxrss_mib")}
    return data


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# -- the store ------------------------------------------------------------------------------------


def ensure_store(cache_root: Path, pupils: int, report: Report) -> Path:
    """The cached build (built by a child process, progress passed through)."""
    code = subprocess.run([sys.executable, str(HERE / "_year_build.py"), "--pupils", str(pupils), str(cache_root)],
                          env=_env(), cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if code.returncode != 0:
        raise SystemExit("building the year store failed")
    lines = code.stdout.strip().splitlines()
    for line in lines[:-1]:
        report.note(line)
    return Path(lines[-1])


def working_copy(data: Path, target: Path) -> Path:
    """A copy of a data dir to change freely: immutable areas hard-linked, the rest copied."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for entry in data.iterdir():
        if entry.is_dir() and entry.name in IMMUTABLE_AREAS:
            subprocess.run(["cp", "-al", str(entry), str(target / entry.name)], check=True)
        elif entry.is_dir():
            shutil.copytree(entry, target / entry.name)
        else:
            shutil.copy2(entry, target / entry.name)
    _migrate_copy(target)
    return target


def _migrate_copy(data: Path) -> None:
    """Bring a copy of an older-schema cache to this version before anything is measured on it."""
    import sqlite3

    from coordinator_app.storage.migrations import latest_version

    db = data / "coordinator.sqlite3"
    if not db.is_file():
        return
    conn = sqlite3.connect(db)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    if version < latest_version():
        subprocess.run([sys.executable, "-c", "import sys; from coordinator_app.storage import open_store; "
                        "open_store(sys.argv[1]).close()", str(data)], check=True, cwd=ROOT)


def store_files(data: Path) -> list[Path]:
    """The files a backup carries: the database and every file of the stored areas."""
    files = [data / "coordinator.sqlite3"]
    for area in IMMUTABLE_AREAS:
        if (data / area).is_dir():
            files += sorted(p for p in (data / area).rglob("*") if p.is_file() and not p.name.startswith("."))
    return files


# -- measurements ---------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, report: Report, cache: Path, scratch: Path) -> None:
        self.args = args
        self.report = report
        self.cache = cache
        self.meta = json.loads((cache / "meta.json").read_text(encoding="utf-8"))
        self.scratch = scratch
        self.year_data = cache / "year" / "data"
        self.one_data = cache / "one_work_1500" / "data"
        works = self.meta["year"]["works"]
        grade5 = [w for w in works if w["grade"] == 5] or works
        self.work = grade5[0]["id"]
        self.other_work = grade5[1]["id"] if len(grade5) > 1 else works[-1]["id"]
        self.one_work = self.meta["one_work_1500"]["work_id"]

    def fig(self, key: str, value: Any, unit: str = "", label: str | None = None) -> None:
        self.report.figure(key, value, unit, label)

    def copy(self, name: str, one: bool = False) -> Path:
        return working_copy(self.one_data if one else self.year_data, self.scratch / name)

    # -- start-up ---------------------------------------------------------------------------------
    def startup(self) -> None:
        data = self.copy("startup")
        driver = HERE / "_startup_driver.py"
        runs = max(3, self.args.startup_runs)
        marks: dict[str, list[dict[str, float]]] = {"bare": [], "app": []}
        for round_no in range(runs + 1):      # round 0: warm-up, discarded
            for variant in ("bare", "app"):
                cmd = [sys.executable, str(driver), "bare"] if variant == "bare" else \
                    [sys.executable, str(driver), "app", str(data)]
                env = _env()
                t0 = time.time()
                env["BENCH_T0"] = repr(t0)
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=self.args.cap)
                if proc.returncode != 0:
                    raise RuntimeError(f"start-up driver failed: {proc.stderr[-1500:]}")
                if round_no:
                    marks[variant].append(json.loads(proc.stdout.strip().splitlines()[-1]))
        bare = statistics.median(m["painted"] for m in marks["bare"])
        app = statistics.median(m["painted"] for m in marks["app"])
        self.fig("startup_bare_first_paint_ms", ms(bare), "ms", f"bare PySide6 window: start → first paint, median of {runs}")
        self.fig("startup_year_first_paint_ms", ms(app), "ms", f"program on the year store: start → first paint, median of {runs}")
        self.fig("startup_ratio", round(app / bare, 2), "x", "start-up to first paint vs bare window (target ≤ 2.5)")
        shutil.rmtree(data)

    # -- the GUI, under the stall detector ----------------------------------------------------------
    def gui(self) -> None:
        data = self.copy("gui")
        cmd = [sys.executable, "-u", str(HERE / "_year_gui.py"), str(data), "--work", str(self.work),
               "--other-work", str(self.other_work), "--switches", str(self.args.switches),
               "--scores", "50", "--steps", "20", "--cap", str(self.args.cap)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
                                env=_env(), cwd=ROOT)
        killed = threading.Event()

        def stop() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(self.args.gui_cap, stop)
        timer.start()
        actions: list[dict[str, Any]] = []
        nxt: dict[str, Any] | None = None
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("@@ "):
                item = json.loads(line[3:])
                if item["kind"] == "action":
                    actions.append(item)
                elif item["kind"] == "next":
                    nxt = item
            else:
                print(line, end="", flush=True)
        code = proc.wait()
        timer.cancel()
        if code != 0 and not killed.is_set():
            self.report.note(f"the GUI child exited with {code}; the actions above are what it measured")
        if killed.is_set():
            self.report.note(f"the GUI run was stopped at its cap ({self.args.gui_cap:.0f} s); "
                             f"actions after «{actions[-1]['action'] if actions else 'start'}» were not measured")
        self.report.data["gui_actions"] = actions
        self.report.data["gui_capped"] = killed.is_set()

        def pick(prefix: str) -> list[dict[str, Any]]:
            return [a for a in actions if a["action"].startswith(prefix)]

        if actions:
            worst = max(actions, key=lambda a: a["longest_stall_ms"])
            self.fig("gui_longest_stall_ms", worst["longest_stall_ms"], "ms",
                     f"longest GUI stall of all actions ({worst['action']}; target ≤ 100)")
        for a in pick("start-up"):
            self.fig("gui_startup_settled_ms", a["total_ms"], "ms", "start-up: window built → settled")
        for a in pick("purge offer"):
            self.fig("gui_purge_offer_stall_ms", a["longest_stall_ms"], "ms", "purge offer at start: longest stall")
        scans_open = [a for a in pick("open «Сканы»")]
        for a in scans_open:
            self.fig("scans_open_ms", a["total_ms"], "ms", "«Сканы»: open → settled (target < 300)")
            self.fig("scans_open_gui_cpu_ms", a["gui_cpu_ms"], "ms", "«Сканы»: open, GUI-thread CPU")
        switches = pick("switch work «Сканы»")
        if switches:
            self.fig("scans_switch_ms", max(a["total_ms"] for a in switches), "ms",
                     f"«Сканы»: switch work → settled, worst of {len(switches)} (target < 300)")
            self.fig("scans_switch_gui_cpu_ms", max(a["gui_cpu_ms"] for a in switches), "ms",
                     "«Сканы»: switch work, GUI-thread CPU, worst")
        for a in pick("50 scores") or pick("scores"):
            self.fig("score_commit_median_ms", a["commit_median_ms"], "ms",
                     "score typed + Enter → committed, every page opened, median (target < 15)")
            self.fig("score_commit_p95_ms", a["commit_p95_ms"], "ms", "… p95 (target < 30)")
            self.fig("score_enter_gui_cpu_median_ms", a["enter_gui_cpu_median_ms"], "ms",
                     "GUI-thread CPU per Enter until settled, median")
            self.fig("scores_longest_stall_ms", a["longest_stall_ms"], "ms", "50 scores: longest stall")
        if nxt:
            self.fig("next_participant_first_page_median_ms", nxt["first_page_median_ms"], "ms",
                     f"PgDown → next participant's first page, every page opened, median of {nxt['moves']}")
            self.fig("next_participant_longest_stall_ms", nxt["longest_stall_ms"], "ms", "PgDown: longest stall")
        shutil.rmtree(data)

    # -- purge candidates ----------------------------------------------------------------------------
    def purge(self) -> None:
        data = self.copy("purge")
        res = child_json(["purge", str(data)], self.args.cap * 2)
        if res.get("timed_out"):
            self.fig("purge_candidates_ms", f"> {self.args.cap * 2000:.0f}", "ms", "purge candidates: over the cap")
        else:
            self.fig("purge_candidates_ms", res["wall_ms"], "ms",
                     f"purge candidates for {res['pages']} pages ({res['works']} works expired; target < 100)")
            self.fig("purge_candidates_cpu_ms", res["cpu_ms"], "ms", "… CPU")
            self.fig("purge_full_lists_ms", res["full_wall_ms"], "ms",
                     "the same works' full file lists with SHA-256 (CLI purge, expired_works), for context")
        shutil.rmtree(data)

    # -- the command line ----------------------------------------------------------------------------
    def cli_(self) -> None:
        year = self.copy("cli-year")
        one = self.copy("cli-one", one=True)
        runs = max(3, self.args.cli_runs)
        cmds = {
            "baseline": [sys.executable, "-c", "import sqlite3"],
            "list_works": cli() + ["--data-dir", str(year), "list", "works"],
            "scores": cli() + ["--data-dir", str(one), "scores", "--work", str(self.one_work)],
        }
        times: dict[str, list[dict[str, Any]]] = {k: [] for k in cmds}
        for round_no in range(runs + 1):
            for name, cmd in cmds.items():
                r = measured(cmd, self.args.cap)
                if r["rc"] != 0:
                    raise RuntimeError(f"{name} failed: {r['stderr']}")
                if round_no:
                    times[name].append(r)
        med = {k: statistics.median(r["wall"] for r in v) for k, v in times.items()}
        cpu = {k: statistics.median(r["cpu"] for r in v) for k, v in times.items()}
        self.fig("cli_baseline_ms", ms(med["baseline"]), "ms", f"python -c 'import sqlite3', median of {runs}")
        self.fig("cli_list_works_ms", ms(med["list_works"]), "ms", "list works on the year store, median")
        self.fig("cli_list_works_ratio", round(med["list_works"] / med["baseline"], 2), "x",
                 "list works vs import sqlite3, whole process (target ≤ 2.5)")
        n = self.meta["one_work_1500"]["participants"]
        self.fig("cli_scores_ms", ms(med["scores"]), "ms", f"scores --work, {n} participants, median")
        self.fig("cli_scores_ratio", round(med["scores"] / med["baseline"], 2), "x",
                 f"scores --work ({n}) vs import sqlite3, whole process (target ≤ 4)")
        self.fig("cli_list_works_cpu_ratio", round(cpu["list_works"] / cpu["baseline"], 2), "x", "… the same in CPU time")
        self.fig("cli_scores_cpu_ratio", round(cpu["scores"] / cpu["baseline"], 2), "x", "… the same in CPU time")
        shutil.rmtree(year)
        shutil.rmtree(one)

    # -- the form export ------------------------------------------------------------------------------
    def form(self) -> None:
        one = self.copy("form", one=True)
        res = child_json(["form", str(one), str(self.one_work), str(self.args.form_runs)], self.args.cap * 3)
        if res.get("timed_out"):
            self.fig("form_export_ratio", "over the cap")
        else:
            self.fig("form_export_cpu_ms", res["export_cpu_ms"], "ms",
                     f"form export, {res['participants']} participants, CPU, median of {res['runs']}")
            self.fig("form_openpyxl_cpu_ms", res["openpyxl_cpu_ms"], "ms", "openpyxl load + save of the template, CPU, median")
            self.fig("form_export_ratio", round(res["export_cpu_ms"] / res["openpyxl_cpu_ms"], 2), "x",
                     "form export vs openpyxl load + save of the template (target ≤ 2)")
            self.fig("form_openpyxl_filled_cpu_ms", res["openpyxl_filled_cpu_ms"], "ms",
                     "context: openpyxl load + save of the filled form the export wrote, CPU, median")
            self.fig("form_export_vs_filled_ratio", round(res["export_cpu_ms"] / res["openpyxl_filled_cpu_ms"], 2), "x",
                     "context: form export vs openpyxl load + save of the filled form")
        shutil.rmtree(one)

    # -- scan import ----------------------------------------------------------------------------------
    def scan_import(self) -> None:
        batch = self.scratch / "batch"
        made = child_json(["batch", str(batch), str(self.args.batch), str(self.args.batch_dpi)], self.args.cap * 3)
        empty = self.scratch / "empty"
        if empty.exists():
            shutil.rmtree(empty)
        init = measured(cli() + ["--data-dir", str(empty), "init", "--school", "Школа", "--login", "sch123456"],
                        self.args.cap)
        if init["rc"] != 0:
            raise RuntimeError(init["stderr"])
        decode = child_json(["decode", str(batch)], self.args.cap)
        results: dict[str, list[dict[str, Any]]] = {"empty": [], "year": []}
        for rep in range(max(1, self.args.import_pairs)):
            for which in (("empty", "year") if rep % 2 == 0 else ("year", "empty")):
                target = working_copy(empty, self.scratch / "imp-empty") if which == "empty" else self.copy("imp-year")
                res = child_json(["import", str(target), str(batch)], self.args.cap * 3)
                shutil.rmtree(target)
                if res.get("timed_out"):
                    raise RuntimeError(f"the import into the {which} store passed the cap")
                results[which].append(res)
        pages = made["pages"]
        e = statistics.median(r["pages"] / r["seconds"] for r in results["empty"])
        y = statistics.median(r["pages"] / r["seconds"] for r in results["year"])
        e_cpu = statistics.median(r["cpu_s"] for r in results["empty"])
        y_cpu = statistics.median(r["cpu_s"] for r in results["year"])
        self.fig("import_batch_pages", pages, "pages", f"batch: {made['note']}")
        self.fig("import_decode_cpu_s", round(decode["cpu_s"], 2), "s", "plain Pillow decode of the batch, CPU")
        self.fig("import_empty_cpu_s", round(e_cpu, 2), "s", "import into an empty store, CPU incl. workers")
        self.fig("import_cpu_ratio", round(e_cpu / decode["cpu_s"], 2), "x",
                 "import CPU vs plain decode, empty store (target ≤ 3)")
        self.fig("import_year_cpu_ratio", round(y_cpu / decode["cpu_s"], 2), "x", "import CPU vs plain decode, year store")
        self.fig("import_empty_pages_per_s", round(e, 1), "pages/s", "import into an empty store")
        self.fig("import_year_pages_per_s", round(y, 1), "pages/s", "import into the year store")
        self.fig("import_year_vs_empty", round(y / e, 2), "x", "pages/s into the year store vs empty (target ≥ 1, no fall)")
        shutil.rmtree(batch)
        shutil.rmtree(empty)

    # -- labels ---------------------------------------------------------------------------------------
    def labels(self) -> None:
        one = self.copy("labels", one=True)
        res = child_json(["labels", str(one), str(self.one_work)], self.args.cap * 2)
        if res.get("timed_out"):
            self.fig("labels_ratio", "over the cap")
        else:
            self.fig("labels_cpu_s", round(res["labels_cpu_s"], 2), "s", f"labels PDF, {res['participants']} participants, CPU")
            self.fig("slips_cpu_s", round(res["slips_cpu_s"], 2), "s", "code slips, same participants, CPU")
            self.fig("labels_ratio", round(res["labels_cpu_s"] / res["slips_cpu_s"], 2), "x",
                     "labels vs slips, CPU in one warm process (target ≤ 2)")
        # The same as whole processes, the way a coordinator's command (or the figure) sees it.
        out = self.scratch / "labels-cli"
        out.mkdir(exist_ok=True)
        whole = {}
        for name in ("slips", "labels"):
            r = measured(cli() + ["--data-dir", str(one), name, "--work", str(self.one_work), "--out",
                                  str(out / f"{name}.pdf")], self.args.cap * 2)
            whole[name] = None if r["timed_out"] or r["rc"] else r["wall"]
        if whole["slips"] and whole["labels"]:
            self.fig("labels_process_s", round(whole["labels"], 2), "s", "labels command, whole process")
            self.fig("slips_process_s", round(whole["slips"], 2), "s", "slips command, whole process")
            self.fig("labels_process_ratio", round(whole["labels"] / whole["slips"], 2), "x",
                     "labels vs slips, whole processes")
        shutil.rmtree(one)

    # -- verify and backup ------------------------------------------------------------------------------
    def verify_backup(self) -> None:
        data = self.copy("vb")
        files = store_files(data)
        listing = self.scratch / "files.txt"
        listing.write_bytes(b"\0".join(str(p).encode() for p in files))
        size = sum(p.stat().st_size for p in files)
        self.fig("store_files", len(files), "files", f"the year store: {size / 2**20:.0f} MiB")
        sha = ["xargs", "-0", "-a", str(listing), "sha256sum"]
        measured(sha, self.args.cap)            # warm the page cache for both
        runs: dict[str, list[dict[str, Any]]] = {"sha": [], "verify": [], "tar": [], "tar_sync": [], "backup": []}
        for rep in range(max(1, self.args.vb_pairs)):
            order = ("sha", "verify") if rep % 2 == 0 else ("verify", "sha")
            for which in order:
                cmd = sha if which == "sha" else cli() + ["--data-dir", str(data), "verify"]
                runs[which].append(measured(cmd, self.args.cap * 3))
        out = self.scratch / "backup-out"
        secret = self.scratch / "backup-password.txt"
        secret.write_text("bench-password\n", encoding="utf-8")
        for rep in range(max(1, self.args.vb_pairs)):
            # `tar_sync`: the same tar, then its archive made durable (`sync FILE` = fsync), as the
            # backup makes its own before it reads it back and names it.
            order = ("tar", "tar_sync", "backup") if rep % 2 == 0 else ("backup", "tar_sync", "tar")
            for which in order:
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                os.sync()
                tar = ["tar", "--null", "-cf", str(out / "store.tar"), "-T", str(listing)]
                if which == "tar":
                    cmd = tar
                elif which == "tar_sync":
                    cmd = ["sh", "-c", " ".join(shlex.quote(a) for a in tar) + " && sync " + shlex.quote(str(out / "store.tar"))]
                else:        # encrypted, as every backup is unless the coordinator chooses otherwise
                    cmd = cli() + ["--data-dir", str(data), "backup", "--out", str(out), "--password-file", str(secret)]
                runs[which].append(measured(cmd, self.args.cap * 3))
                shutil.rmtree(out, ignore_errors=True)
        for name, items in runs.items():
            if any(r["timed_out"] for r in items):
                self.report.note(f"{name}: passed the cap")
        med = {k: statistics.median(r["wall"] for r in v) for k, v in runs.items()}
        rss = {k: max(r["maxrss_mib"] for r in v) for k, v in runs.items()}
        self.fig("verify_s", round(med["verify"], 2), "s", "verify of the year store, median")
        self.fig("sha256sum_s", round(med["sha"], 2), "s", "sha256sum of the same files, median")
        self.fig("verify_ratio", round(med["verify"] / med["sha"], 2), "x", "verify vs sha256sum (target ≤ 1.5)")
        self.fig("backup_s", round(med["backup"], 2), "s", "backup of the year store, median")
        self.fig("tar_s", round(med["tar"], 2), "s", "tar of the same files, median")
        self.fig("backup_ratio", round(med["backup"] / med["tar"], 2), "x", "backup vs tar (target ≤ 1.5)")
        self.fig("tar_sync_s", round(med["tar_sync"], 2), "s", "tar of the same files + sync of the archive, median")
        self.fig("backup_ratio_synced", round(med["backup"] / med["tar_sync"], 2), "x",
                 "backup vs tar + sync (both durable on return), for context")
        self.fig("verify_peak_rss_mib", round(rss["verify"], 1), "MiB", "verify: peak RSS (target < 300)")
        self.fig("backup_peak_rss_mib", round(rss["backup"], 1), "MiB", "backup: peak RSS (target < 300)")
        for name in runs:
            if any(r["rc"] != 0 for r in runs[name]):
                self.report.note(f"{name} exited with {[r['rc'] for r in runs[name]]}: {runs[name][-1]['stderr'][:300]}")
        shutil.rmtree(data)


# -- child modes (run in fresh processes by the parent) -----------------------------------------------


def child(mode: str, argv: list[str]) -> None:
    import resource

    def cpu_self() -> float:
        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime

    def cpu_all() -> float:
        c = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cpu_self() + c.ru_utime + c.ru_stime

    if mode == "purge":
        from coordinator_app.scans.retention import expired_works, purge_candidates
        from coordinator_app.storage import open_store

        store = open_store(Path(argv[0]))
        store.scalar("SELECT COUNT(*) FROM scan_pages")        # the database is open and warm
        pages = store.scalar("SELECT COUNT(*) FROM scan_pages")
        # The candidates (what the start-up offer and «Сканы» ask: which works, how many pages and
        # files) and, for context, the full lists with every file's SHA-256 (the CLI's purge).
        cpu, start = time.process_time(), time.perf_counter()
        candidates = purge_candidates(store)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        cpu_full, start = time.process_time(), time.perf_counter()
        expired = expired_works(store)
        wall_full, cpu_full = time.perf_counter() - start, time.process_time() - cpu_full
        assert [c.work.id for c in candidates] == [e.work.id for e in expired]
        print(json.dumps({"wall_ms": ms(wall), "cpu_ms": ms(cpu), "works": len(candidates), "pages": pages,
                          "full_wall_ms": ms(wall_full), "full_cpu_ms": ms(cpu_full)}))
    elif mode == "form":
        import openpyxl

        from coordinator_app.form_export import export_form
        from coordinator_app.storage import open_store
        from coordinator_app.works import get_work

        data, work_id, runs = Path(argv[0]), int(argv[1]), int(argv[2])
        store = open_store(data)
        work = get_work(store, work_id)
        template = store.path(store.scalar("SELECT template_file FROM works WHERE id = ?", [work_id]))
        out = data.parent / "form-out"
        out.mkdir(exist_ok=True)
        export_cpu, plain_cpu = [], []
        for rep in range(runs + 1):                    # run 0 warms up imports and caches
            for which in (("export", "plain") if rep % 2 == 0 else ("plain", "export")):
                cpu = time.process_time()
                if which == "export":
                    export_form(store, work_id, out / f"form{rep}.xlsx")
                else:
                    book = openpyxl.load_workbook(template)
                    book.save(out / f"plain{rep}.xlsx")
                    book.close()
                spent = time.process_time() - cpu
                if rep:
                    (export_cpu if which == "export" else plain_cpu).append(spent)
        filled_cpu = []      # context: openpyxl's own load + save of the filled form the export wrote
        for rep in range(1, runs + 1):
            cpu = time.process_time()
            book = openpyxl.load_workbook(out / f"form{rep}.xlsx")
            book.save(out / f"filled{rep}.xlsx")
            book.close()
            filled_cpu.append(time.process_time() - cpu)
        participants = store.scalar("SELECT COUNT(*) FROM participants WHERE work_id = ?", [work.id])
        print(json.dumps({"export_cpu_ms": ms(statistics.median(export_cpu)), "openpyxl_cpu_ms": ms(statistics.median(plain_cpu)),
                          "openpyxl_filled_cpu_ms": ms(statistics.median(filled_cpu)),
                          "runs": runs, "participants": participants}))
    elif mode == "labels":
        from coordinator_app.documents import make_labels, make_slips
        from coordinator_app.storage import open_store

        data, work_id = Path(argv[0]), int(argv[1])
        store = open_store(data)
        out = data.parent / "labels-out"
        out.mkdir(exist_ok=True)
        first_class = store.scalar("SELECT c.grade || c.letter FROM participants p JOIN classes c ON c.id = p.class_id "
                                   "WHERE p.work_id = ? LIMIT 1", [work_id])
        make_slips(store, work_id, out / "warm-slips.pdf", classes=[first_class])     # imports and fonts warm
        make_labels(store, work_id, out / "warm-labels.pdf", classes=[first_class])
        cpu = time.process_time()
        make_slips(store, work_id, out / "slips.pdf")
        slips = time.process_time() - cpu
        cpu = time.process_time()
        make_labels(store, work_id, out / "labels.pdf")
        labels = time.process_time() - cpu
        participants = store.scalar("SELECT COUNT(*) FROM participants WHERE work_id = ?", [work_id])
        print(json.dumps({"labels_cpu_s": labels, "slips_cpu_s": slips, "participants": participants}))
    elif mode == "batch":
        _make_batch(Path(argv[0]), int(argv[1]), int(argv[2]))
    elif mode == "decode":
        from PIL import Image

        files = sorted(Path(argv[0]).glob("*.jpg"))
        cpu = cpu_self()
        for path in files:
            with Image.open(path) as image:
                image.load()
        print(json.dumps({"cpu_s": cpu_self() - cpu, "pages": len(files)}))
    elif mode == "import":
        from coordinator_app.scans.importer import import_scans
        from coordinator_app.storage import open_store

        store = open_store(Path(argv[0]))
        cpu, start = cpu_all(), time.perf_counter()
        result = import_scans(store, [Path(argv[1])], workers=2)
        seconds = time.perf_counter() - start
        store.close()
        print(json.dumps({"seconds": seconds, "cpu_s": cpu_all() - cpu, "pages": result.imported,
                          "unassigned": result.unassigned, "qr": result.identified_qr}))
    else:
        raise SystemExit(f"unknown child mode {mode}")


def _make_batch(folder: Path, participants: int, dpi: int) -> None:
    """A batch like a class's scans, for a work neither store knows (so both stores handle the
    labels the same way): per participant a labelled title page and two plain pages."""
    import _year_build as yb
    from PIL import ImageDraw

    from tests.fixtures import scan_pages as sp

    folder.mkdir(parents=True, exist_ok=True)
    labels = yb._LabelMaker("QQQ777", "50001", dpi)
    bases = [sp.plain_page(dpi=dpi, seed=s) for s in range(3)]
    title = sp.title_page("50001", login=yb.LOGIN, work_key="QQQ777", dpi=dpi)
    tone = [round(sp.INK_GREY + (sp.PAPER_GREY - sp.INK_GREY) * v / 255) for v in range(256)]
    seq = 0
    for n in range(participants):
        code = str(50001 + n)
        page = title.copy()
        label = labels.image(code).point(tone)
        left = page.width - sp._px(sp.LABEL_RIGHT_MM, dpi) - label.width
        page.paste(label, (left, sp._px(sp.LABEL_TOP_MM, dpi)))
        pages = [page]
        for k in range(2):
            plain = bases[(n + k) % len(bases)].copy()
            ImageDraw.Draw(plain).text((60, plain.height - 60), f"batch {code} {k}", fill=0)
            pages.append(plain)
        for p in pages:
            seq += 1
            p.save(folder / f"batch{seq:05d}.jpg", "JPEG", quality=85)
    print(json.dumps({"pages": seq, "note": f"{participants} participants × (labelled title + 2 plain), "
                                            f"{dpi} dpi greyscale JPEG q85, labels of a work unknown to both stores"}))


# -- main -----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child":
        child(argv[1], argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated groups: " + ",".join(GROUPS))
    parser.add_argument("--out", help="also write the JSON line to this file")
    parser.add_argument("--cache", default=str(HERE / "out" / "year_store"), help="where the built store is kept")
    parser.add_argument("--pupils", type=int, default=1500, help="smaller stores of the same shape, for trying out")
    parser.add_argument("--cap", type=float, default=300, help="seconds one measured step may take")
    parser.add_argument("--gui-cap", type=float, default=1800, help="seconds for the whole GUI run")
    parser.add_argument("--switches", type=int, default=2, help="work switches per page")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--cli-runs", type=int, default=7)
    parser.add_argument("--form-runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=50, help="participants in the import batch (3 pages each)")
    parser.add_argument("--batch-dpi", type=int, default=200, help="the import batch's resolution (a real scan's)")
    parser.add_argument("--import-pairs", type=int, default=1)
    parser.add_argument("--vb-pairs", type=int, default=1, help="verify/sha256sum and backup/tar pairs")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args(argv)
    chosen = [g.strip() for g in args.only.split(",")] if args.only else list(GROUPS)
    unknown = set(chosen) - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups: {', '.join(sorted(unknown))}")

    report = Report("year_store")
    report.figure("uptime_before", uptime())
    # The program as installed or frozen runs from compiled bytecode; a checkout whose sources
    # changed since their last compile (and PYTHONDONTWRITEBYTECODE, set on some machines) would
    # make every measured process compile them again. Compile once, before anything is timed.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "coordinator_app"), str(ROOT / "ui")],
                   env=env, check=False, stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    cache = ensure_store(Path(args.cache), args.pupils, report)
    meta = json.loads((cache / "meta.json").read_text(encoding="utf-8"))
    year = meta["year"]
    report.figure("store", f"{year['pupils']} pupils, {len(year['works'])} works, {year['participants']} participants, "
                           f"{year['scores']} scores, {year['pages']} pages ({year['unassigned']} unassigned); "
                           f"one work of {meta['one_work_1500']['participants']} participants")
    report.data["store_key"] = meta["key"]
    report.data["store_build_seconds"] = meta["build_seconds"]
    if args.build_only:
        report.finish()
        return 0
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=cache.parent))   # same file system: hard links
    failed: list[str] = []
    try:
        bench = Bench(args, report, cache, scratch)
        for group in GROUPS:
            if group not in chosen:
                continue
            report.note(f"== {group}")
            t = time.perf_counter()
            try:
                getattr(bench, "cli_" if group == "cli" else group)()
            except Exception as err:  # noqa: BLE001 - one failed group must not lose the others
                failed.append(group)
                report.note(f"{group} FAILED: {type(err).__name__}: {err}")
            report.note(f"{group} took {time.perf_counter() - t:.0f} s")
            if args.out:     # what is measured so far survives an interrupted run
                _write(Path(args.out), {**report.data, "partial": True})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report.data["failed"] = failed
    report.figure("run_seconds", round(time.perf_counter() - started), "s")
    report.figure("uptime_after", uptime())
    report.finish()
    if args.out:
        _write(Path(args.out), report.data)
    return 1 if failed else 0


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
