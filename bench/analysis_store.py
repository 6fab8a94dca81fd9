"""«Анализ» read from a store (issue 14): one work and the whole year, from the score sheets to the
JSON and the «светофор» sentences — what `analysis --work` / `analysis --year` and the «Анализ»
page do. The baseline, measured in the same run, is reading the same works' score sheets alone
(`scoring.score_sheet`), so a ratio says what the statistics add to reading the data.

Needs a store with scored works that have a scale, e.g. a copy of the year store that
`bench/year_store.py` builds (its works get a scale here if they have none: a copy, never the cache):

    cp -r bench/out/year_store/<key>/year/data /tmp/year && python bench/analysis_store.py /tmp/year
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coordinator_app import work_analysis  # noqa: E402
from coordinator_app.analysis.report import as_json, summary_sentences  # noqa: E402
from coordinator_app.scoring import score_sheet  # noqa: E402
from coordinator_app.storage import open_store  # noqa: E402
from coordinator_app.works import list_works  # noqa: E402


def _median_ms(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _give_scales(store) -> None:
    with store.atomic() as db:
        for work in list_works(store):
            top = work.max_total
            db.execute("UPDATE works SET scale = ? WHERE id = ? AND scale IS NULL",
                       [json.dumps([round(top * 0.25), round(top * 0.5), round(top * 0.75)]), work.id])


def main(folder: str) -> None:
    store = open_store(folder)
    _give_scales(store)
    works = work_analysis.analysable_works(store)
    size = {w.id: store.scalar("SELECT COUNT(*) FROM participants WHERE work_id = ?", [w.id]) for w in works}
    big = max(works, key=lambda w: size[w.id])

    def one() -> None:
        analysis = work_analysis.analyse(store, big.id)
        as_json(analysis)
        summary_sentences(analysis)

    read_one = _median_ms(lambda: score_sheet(store, big.id, final=True, experts=False))
    one_ms = _median_ms(one)
    read_year = _median_ms(lambda: [score_sheet(store, w.id, final=True, experts=False) for w in works])
    year_ms = _median_ms(lambda: as_json(work_analysis.analyse_all(store)))
    print(f"one work, {size[big.id]} participants: read {read_one:.0f} ms, analysis {one_ms:.0f} ms "
          f"({one_ms / read_one:.1f}× the read)")
    print(f"the year, {len(works)} works, {sum(size.values())} participants: read {read_year:.0f} ms, "
          f"analysis {year_ms:.0f} ms ({year_ms / read_year:.1f}× the read)")
    print(json.dumps({"bench": "analysis_store", "work_participants": size[big.id], "work_read_ms": round(read_one),
                      "work_ms": round(one_ms), "works": len(works), "year_read_ms": round(read_year),
                      "year_ms": round(year_ms)}))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
