"""Import of a 1500-pupil list: parse, save into a fresh data dir, re-import unchanged.

    .venv/bin/python bench/import_pupils.py [--repeats N] [--pupils N]

Files (written once into a temp dir, in the parent process):
  xlsx  tests.fixtures.pupil_lists.big_list_xlsx(dir, n=1500): a school-wide journal export,
        one ФИО column, odd class spellings, title rows
  csv   the same pupils (tests.fixtures.pupil_lists.big_list_rows) as a 1500-row CSV the way
        Russian Excel saves one: cp1251, «;», CRLF, columns №;Фамилия;Имя;Отчество;Класс;Пол

Each format is measured in its own fresh child process (so peak RSS is per format), N times
(default 5, the median and min are reported), every time into a NEW data dir
(`coordinator_app.storage.open_store(tmpdir)`, not timed):
  parse      coordinator_app.formats.pupil_list.parse_pupil_list(file)
  import     coordinator_app.students.import_pupils(store, parsed) — 1500 new pupils, 60 classes
  total      parse + import
  reimport   parse again + import_pupils into the same data dir: all 1500 unchanged
Timings are time.perf_counter() around the calls. Peak RSS: resource.getrusage(RUSAGE_SELF)
.ru_maxrss of the child at the end (and right after its imports, before any parsing).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Report, ms, peak_rss_mib

CSV_HEADER = ["№", "Фамилия", "Имя", "Отчество", "Класс", "Пол"]


def make_files(directory: Path, n: int) -> dict[str, Path]:
    from tests.fixtures.pupil_lists import big_list_rows, big_list_xlsx

    xlsx = big_list_xlsx(directory, n=n)
    csv_path = directory / f"контингент_{n}.csv"
    with csv_path.open("w", encoding="cp1251", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        for i, (surname, name, patronymic, class_name, gender) in enumerate(big_list_rows(n), start=1):
            writer.writerow([i, surname, name, patronymic, class_name, gender])
    return {"xlsx": xlsx, "csv": csv_path}


def measure(path: Path, repeats: int, expected: int) -> dict[str, object]:
    """Runs in the child process."""
    from coordinator_app.formats.pupil_list import parse_pupil_list
    from coordinator_app.storage import open_store
    from coordinator_app.students import import_pupils

    rss_after_imports = peak_rss_mib()
    times: dict[str, list[float]] = {"parse": [], "import": [], "total": [], "reimport": [],
                                     "reimport_parse": [], "reimport_import": []}
    for _ in range(repeats):
        data_dir = Path(tempfile.mkdtemp(prefix="vpr-bench-import-"))
        try:
            store = open_store(data_dir)
            t0 = time.perf_counter()
            parsed = parse_pupil_list(path)
            t1 = time.perf_counter()
            result = import_pupils(store, parsed)
            t2 = time.perf_counter()
            if parsed.problem_rows or result.created != expected:
                raise SystemExit(f"{path.name}: {parsed.summary()}; {result.summary()}")
            again = parse_pupil_list(path)
            t3 = time.perf_counter()
            result2 = import_pupils(store, again)
            t4 = time.perf_counter()
            if result2.unchanged != expected:
                raise SystemExit(f"{path.name} re-import: {result2.summary()}")
            store.close()
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
        times["parse"].append(t1 - t0)
        times["import"].append(t2 - t1)
        times["total"].append(t2 - t0)
        times["reimport_parse"].append(t3 - t2)
        times["reimport_import"].append(t4 - t3)
        times["reimport"].append(t4 - t2)
    out: dict[str, object] = {}
    for key, values in times.items():
        out[f"{key}_median_ms"] = ms(statistics.median(values))
        out[f"{key}_min_ms"] = ms(min(values))
    out["rows"] = expected
    out["file_kib"] = round(path.stat().st_size / 1024, 1)
    out["rss_after_imports_mib"] = round(rss_after_imports, 1)
    out["peak_rss_mib"] = round(peak_rss_mib(), 1)
    return out


LABELS = {
    "parse": "parse_pupil_list",
    "import": "import_pupils into a fresh data dir",
    "total": "parse + import",
    "reimport_parse": "re-import: parse",
    "reimport_import": "re-import: import_pupils (all unchanged)",
    "reimport": "re-import: parse + import",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pupils", type=int, default=1500)
    parser.add_argument("--child", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(Path(args.child), args.repeats, args.pupils)))
        return 0

    report = Report("import_pupils")
    report.figure("pupils", args.pupils)
    report.figure("repeats", args.repeats)
    base = Path(tempfile.mkdtemp(prefix="vpr-bench-import-files-"))
    try:
        files = make_files(base, args.pupils)
        for kind, path in files.items():
            proc = subprocess.run([sys.executable, __file__, "--child", str(path), "--repeats", str(args.repeats),
                                   "--pupils", str(args.pupils)], capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(f"import_pupils ({kind}) failed:\n{proc.stdout}\n{proc.stderr}")
            figures = json.loads(proc.stdout.strip().splitlines()[-1])
            report.figure(f"{kind}_file_kib", figures["file_kib"], "KiB", f"{kind}: file size")
            for key, label in LABELS.items():
                report.figure(f"{kind}_{key}_median_ms", figures[f"{key}_median_ms"], "ms", f"{kind}: {label}, median")
                report.figure(f"{kind}_{key}_min_ms", figures[f"{key}_min_ms"], "ms", f"{kind}: {label}, min")
            report.figure(f"{kind}_rss_after_imports_mib", figures["rss_after_imports_mib"], "MiB",
                          f"{kind}: RSS after imports, before parsing")
            report.figure(f"{kind}_peak_rss_mib", figures["peak_rss_mib"], "MiB", f"{kind}: peak RSS of the process")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    report.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
