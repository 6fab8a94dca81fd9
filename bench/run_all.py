"""Run every benchmark script in bench/ (each `*.py` not starting with `_`, except this one).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/run_all.py [--out results.json] [NAME ...]

`year_store` is opt-in (it builds a year-sized store once, 15–60 min, and a run takes 30–60 min
on this 2-core machine): it runs only when named, e.g. `bench/run_all.py year_store`, or on its
own: `QT_QPA_PLATFORM=offscreen .venv/bin/python bench/year_store.py --out bench/out/year.json`.

Each script's own output is passed through as it comes; the last line printed here is one JSON
object {"bench": "all", "results": {NAME: <that script's JSON line>}, "failed": [...]}.
Exit status 1 if any script failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OPT_IN = {"year_store", "analysis_store", "analysis_page", "year_switch"}   # run only when named (they need a built store)


def scripts() -> list[Path]:
    return sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_") and p.name != Path(__file__).name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run all benchmarks")
    parser.add_argument("names", nargs="*", help="only these (e.g. startup import_pupils)")
    parser.add_argument("--out", help="also write the combined JSON to this file")
    args = parser.parse_args(argv)
    chosen = [p for p in scripts() if p.stem in args.names] if args.names else \
        [p for p in scripts() if p.stem not in OPT_IN]
    results: dict[str, object] = {}
    failed: list[str] = []
    for script in chosen:
        print(f"== {script.stem}", flush=True)
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                                encoding="utf-8", errors="replace", env=dict(os.environ))
        last = ""
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.strip():
                last = line.strip()
        code = proc.wait()
        try:
            data = json.loads(last)
        except ValueError:
            data = None
        if code != 0 or not isinstance(data, dict):
            failed.append(script.stem)
            print(f"== {script.stem}: FAILED (exit code {code})", flush=True)
        else:
            results[script.stem] = data
            print(f"== {script.stem}: done in {time.perf_counter() - started:.1f} s", flush=True)
    combined = {"bench": "all", "results": results, "failed": failed}
    if args.out:
        Path(args.out).write_text(json.dumps(combined, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(combined, ensure_ascii=False), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
