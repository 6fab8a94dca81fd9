"""Retention: which works are offered for the purge and exactly which files each would delete.

A file belongs to a work's purge set only if ALL its pages are that work's: a file shared with
another work (expired or not), or holding a page not yet given to any work, is kept whole. A work
is offered only if its retention date has passed and it holds pages or audio.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import wave
from pathlib import Path

import pytest

from coordinator_app.codes import assign_codes
from coordinator_app.scans.audio import attach_audio
from coordinator_app.scans.importer import import_scans
from coordinator_app.scans.pages import assign_page, mark_page
from coordinator_app.scans.retention import (
    expired_works,
    has_expired,
    purge_candidates,
    purge_work,
    stored_set,
    stored_sets,
)
from coordinator_app.storage import Store
from coordinator_app.works import TaskDef, WorkDef, create_work, get_work
from tests.conftest import add_pupils
from tests.fixtures.scan_pages import plain_page, save_jpeg, save_pdf

TODAY = dt.date.today()


def _make_work(store: Store, date: dt.date, subject: str) -> int:
    work_id, _ = create_work(store, WorkDef(subject, 4, date, [TaskDef("1", 2)], classes=["4А"]))
    assign_codes(store, work_id)
    return work_id


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wav(path: Path, frames: int = 800) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000), w.writeframes(b"\0\0" * frames)
    return path


@pytest.fixture
def year(school_store: Store, tmp_path: Path):
    """Four expired works (A, B, D with audio only, E with nothing) and a current one (C).

    Files (pages imported without a work, then given out one by one):
      a.pdf        A, A                     -> A's set
      shared.pdf   A, B                     -> nobody's (two works)
      loose.pdf    A, (no work, unassigned) -> nobody's (a page not given to any work)
      current.pdf  A, C                     -> nobody's (shared with a work still kept)
      b.jpg        B                        -> B's set
      blank.pdf    B (marked blank), B      -> B's set (a blank page still belongs to its work)
      queue.jpg    (no work, unassigned)    -> nobody's
    """
    store = school_store
    add_pupils(store, [("Абрамов", "Кирилл", "", "4А"), ("Борисова", "Мария", "", "4А")])
    old = TODAY - dt.timedelta(days=120)
    ids = {
        "A": _make_work(store, old, "Русский язык"),
        "B": _make_work(store, old + dt.timedelta(days=1), "Математика"),
        "C": _make_work(store, TODAY, "Окружающий мир"),
        "D": _make_work(store, old + dt.timedelta(days=2), "Английский язык"),
        "E": _make_work(store, old + dt.timedelta(days=3), "История"),
    }
    folder = tmp_path / "scans"
    folder.mkdir()
    files = {
        "a.pdf": save_pdf([plain_page(seed=1), plain_page(seed=2)], folder / "a.pdf"),
        "shared.pdf": save_pdf([plain_page(seed=3), plain_page(seed=4)], folder / "shared.pdf"),
        "loose.pdf": save_pdf([plain_page(seed=5), plain_page(seed=6)], folder / "loose.pdf"),
        "current.pdf": save_pdf([plain_page(seed=7), plain_page(seed=8)], folder / "current.pdf"),
        "b.jpg": save_jpeg(plain_page(seed=9), folder / "b.jpg"),
        "blank.pdf": save_pdf([plain_page(seed=10), plain_page(seed=11)], folder / "blank.pdf"),
        "queue.jpg": save_jpeg(plain_page(seed=12), folder / "queue.jpg"),
    }
    report = import_scans(store, [folder], workers=1)
    assert report.imported == 12 and report.unassigned == 12
    page = {(r["original_name"], r["page_no"]): r["id"] for r in store.query(
        "SELECT p.id, p.page_no, f.original_name FROM scan_pages p JOIN scan_files f ON f.id = p.file_id")}
    give = [("a.pdf", 1, "A"), ("a.pdf", 2, "A"), ("shared.pdf", 1, "A"), ("shared.pdf", 2, "B"),
            ("loose.pdf", 1, "A"), ("current.pdf", 1, "A"), ("current.pdf", 2, "C"), ("b.jpg", 1, "B"),
            ("blank.pdf", 1, "B"), ("blank.pdf", 2, "B")]
    for n, (name, no, work) in enumerate(give):
        assign_page(store, page[(name, no)], "40001" if n % 2 else "40002", ids[work])
    mark_page(store, page[("blank.pdf", 1)], "blank")
    attach_audio(store, ids["D"], "40001", _wav(tmp_path / "oral.wav"))
    return store, ids, files


def test_candidates_are_the_expired_works_holding_something_with_exact_counts(year) -> None:
    store, ids, _ = year
    got = [(c.work.id, c.pages, c.scan_files, c.audio, c.file_count) for c in purge_candidates(store)]
    assert got == [
        (ids["A"], 5, 1, 0, 1),     # pages of A in a, shared, loose and current; only a.pdf is wholly A's
        (ids["B"], 4, 2, 0, 2),     # b.jpg and blank.pdf (the blank page is still B's)
        (ids["D"], 0, 0, 1, 1),     # audio only
    ]                               # C: not expired; E: expired but holds nothing
    candidate = purge_candidates(store)[0]
    assert candidate.deletable_from == get_work(store, ids["A"]).work_date + dt.timedelta(days=90)
    assert has_expired(store)


def test_purge_sets_list_exactly_the_files_wholly_of_each_work(year) -> None:
    store, ids, files = year
    sets = {s.work.id: s for s in expired_works(store)}
    assert list(sets) == [ids["A"], ids["B"], ids["D"]]
    assert [f["sha256"] for f in sets[ids["A"]].files] == [_sha(files["a.pdf"])]
    assert [f["name"] for f in sets[ids["B"]].files] == ["b.jpg", "blank.pdf"]
    assert [f["sha256"] for f in sets[ids["B"]].files] == [_sha(files["b.jpg"]), _sha(files["blank.pdf"])]
    assert sets[ids["D"]].files == [] and [a["name"] for a in sets[ids["D"]].audio] == ["oral.wav"]
    for held in sets.values():    # the same answer work by work as for all works at once
        single = stored_set(store, held.work)
        assert (single.pages, single.files, single.audio) == (held.pages, held.files, held.audio)
    current = stored_set(store, get_work(store, ids["C"]))
    assert current.pages == 1 and current.files == []          # current.pdf is shared with A
    assert stored_sets(store, []) == {}


def test_purging_one_work_leaves_shared_files_whole_and_may_give_them_to_the_other(year) -> None:
    store, ids, files = year
    result = purge_work(store, ids["A"], store.path("act_a.pdf"))
    assert (result.pages, result.files) == (5, 1)
    names = {r["original_name"] for r in store.query("SELECT original_name FROM scan_files")}
    assert names == {"shared.pdf", "loose.pdf", "current.pdf", "b.jpg", "blank.pdf", "queue.jpg"}
    stored = {p.name for p in (store.data_dir / "scans" / "originals").rglob("*") if p.is_file()}
    assert f"{_sha(files['a.pdf'])}.pdf" not in stored and f"{_sha(files['shared.pdf'])}.pdf" in stored
    # With A's page gone, every remaining page of shared.pdf is B's: the file is now in B's set.
    sets = {s.work.id: s for s in expired_works(store)}
    assert list(sets) == [ids["B"], ids["D"]]
    assert [f["name"] for f in sets[ids["B"]].files] == ["b.jpg", "blank.pdf", "shared.pdf"]
    assert [(c.work.id, c.pages, c.scan_files) for c in purge_candidates(store)] == [(ids["B"], 4, 3), (ids["D"], 0, 0)]
    purge_work(store, ids["B"], store.path("act_b.pdf"))
    purge_work(store, ids["D"], store.path("act_d.pdf"))
    assert purge_candidates(store) == [] and expired_works(store) == [] and not has_expired(store)
    left = {r["original_name"] for r in store.query("SELECT original_name FROM scan_files")}
    assert left == {"loose.pdf", "current.pdf", "queue.jpg"}        # a page of no work, a page of C
    for name in left:
        row = store.one("SELECT stored_path FROM scan_files WHERE original_name = ?", [name])
        assert store.path(row["stored_path"]).read_bytes() == files[name].read_bytes()


def test_nothing_is_offered_before_the_date_nor_for_works_without_scans(school_store: Store, tmp_path: Path) -> None:
    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А")])
    recent = _make_work(school_store, TODAY - dt.timedelta(days=89), "Русский язык")
    _make_work(school_store, TODAY - dt.timedelta(days=400), "Математика")       # expired, empty
    save_jpeg(plain_page(seed=1), tmp_path / "40001_1.jpg")
    import_scans(school_store, [tmp_path / "40001_1.jpg"], work_id=recent, workers=1)
    assert purge_candidates(school_store, TODAY) == [] and not has_expired(school_store, TODAY)
    tomorrow = TODAY + dt.timedelta(days=1)
    assert [c.work.id for c in purge_candidates(school_store, tomorrow)] == [recent]
    assert has_expired(school_store, tomorrow)
    assert [s.work.id for s in expired_works(school_store, tomorrow)] == [recent]


def test_files_of_a_purge_killed_after_its_rows_went_are_swept_by_the_next_import(year, monkeypatch,
                                                                                   tmp_path: Path) -> None:
    """A purge deletes rows first, files after. Killed in between (simulated: neither the files'
    removal nor the end of its writes happens), the next import removes the files left behind."""
    from coordinator_app.scans import filestore

    store, ids, files = year
    with monkeypatch.context() as m:
        m.setattr(filestore, "remove_if_unreferenced", lambda *a, **k: 0)
        m.setattr(filestore, "end_writes", lambda *a, **k: None)
        purge_work(store, ids["A"], store.path("act_a.pdf"))
    left_behind = store.data_dir / "scans" / "originals" / _sha(files["a.pdf"])[:2] / f"{_sha(files['a.pdf'])}.pdf"
    assert left_behind.exists() and filestore.writes_unfinished(store.data_dir)
    save_jpeg(plain_page(seed=40), tmp_path / "later.jpg")
    import_scans(store, [tmp_path / "later.jpg"], workers=1)
    assert not left_behind.exists() and not filestore.writes_unfinished(store.data_dir)
    kept = store.one("SELECT stored_path FROM scan_files WHERE original_name = 'shared.pdf'")
    assert store.path(kept["stored_path"]).read_bytes() == files["shared.pdf"].read_bytes()


def test_a_finished_purge_leaves_no_sweep_due(year) -> None:
    from coordinator_app.scans import filestore

    store, ids, _ = year
    purge_work(store, ids["A"], store.path("act_a.pdf"))
    assert not filestore.writes_unfinished(store.data_dir)
