"""Trust in the store (issue 11): retention nobody can shorten, and records that show tampering.

Each test first does what an attacker (or a hurried coordinator with an SQLite tool) would do to
the data dir's database file, then checks what the program says: the use-cases and the database
refuse, and `verify` names what was done.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from coordinator_app.backup import verify_store
from coordinator_app.cli import main
from coordinator_app.codes import assign_codes
from coordinator_app.errors import UserError
from coordinator_app.scans.importer import import_scans
from coordinator_app.scans.retention import purge_candidates, purge_work
from coordinator_app.scoring import set_score
from coordinator_app.settings import set_value
from coordinator_app.storage import DB_NAME, Store, open_store
from coordinator_app.works import TaskDef, WorkDef, create_work, get_work, update_work
from tests.conftest import add_pupils
from tests.fixtures.scan_pages import plain_page, save_jpeg, title_page

TODAY = dt.date.today()


def _raw(store: Store) -> sqlite3.Connection:
    """The database file opened as any SQLite tool would: no program code in between."""
    conn = sqlite3.connect(store.data_dir / DB_NAME, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


@pytest.fixture
def scanned(school_store: Store, tmp_path: Path):
    """A work dated today with two participants' scans (a title page and a plain page each)."""
    store = school_store
    add_pupils(store, [("Абрамов", "Кирилл", "", "4А"), ("Борисова", "Мария", "", "4А")])
    work_id, _ = create_work(store, WorkDef("Русский язык", 4, TODAY, [TaskDef("1", 2), TaskDef("2", 1)],
                                            classes=["4А"]))
    assign_codes(store, work_id)
    work = get_work(store, work_id)
    folder = tmp_path / "scans"
    folder.mkdir()
    for n, code in enumerate(("40001", "40002")):
        save_jpeg(title_page(code, login="sch123456", work_key=work.work_key), folder / f"s{n}a.jpg")
        save_jpeg(plain_page(seed=n + 1), folder / f"s{n}b.jpg")
    report = import_scans(store, [folder], work_id=work_id, workers=1)
    assert report.imported == 4
    return store, work


def _keeps(store: Store, work_id: int) -> set[str]:
    return {r["keep_until"] for r in store.query("SELECT keep_until FROM scan_pages WHERE work_id = ?", [work_id])}


# -- retention that cannot be shortened ------------------------------------------------------------


def test_each_page_keeps_its_own_date_fixed_when_stored(scanned) -> None:
    store, work = scanned
    assert _keeps(store, work.id) == {(TODAY + dt.timedelta(days=90)).isoformat()}
    set_value(store, "retention_days", 1)                    # a shorter period later shortens nothing stored
    assert _keeps(store, work.id) == {(TODAY + dt.timedelta(days=90)).isoformat()}
    assert purge_candidates(store, today=TODAY + dt.timedelta(days=30)) == []


def test_a_works_date_moves_back_no_more_once_it_holds_scans(scanned, capsys) -> None:
    store, work = scanned
    with pytest.raises(UserError, match="нельзя перенести назад"):
        update_work(store, work.id, work_date=dt.date(2020, 1, 10))
    # The command line goes through the same use-case and says the same.
    code = main(["--data-dir", str(store.data_dir), "edit-work", "--work", str(work.id), "--date", "10.01.2020"])
    assert code == 1 and "нельзя перенести назад" in capsys.readouterr().err
    # And the database itself refuses whoever asks.
    raw = _raw(store)
    with pytest.raises(sqlite3.IntegrityError, match="retention"):
        raw.execute("UPDATE works SET work_date = '2020-01-10' WHERE id = ?", [work.id])
    assert get_work(store, work.id).work_date == TODAY


def test_moving_the_date_forward_lengthens_the_pages_keep_and_is_recorded(scanned) -> None:
    store, work = scanned
    later = TODAY + dt.timedelta(days=10)
    update_work(store, work.id, work_date=later)
    assert _keeps(store, work.id) == {(later + dt.timedelta(days=90)).isoformat()}
    record = store.one("SELECT details FROM audit_log WHERE action = 'work.update' ORDER BY id DESC LIMIT 1")
    details = json.loads(record["details"])
    assert details["old"]["date"] == TODAY.isoformat() and details["new"]["date"] == later.isoformat()
    assert details["retention_extended"] is True


def test_no_direct_edit_opens_the_way_to_deleting_scans_early(scanned) -> None:
    store, work = scanned
    raw = _raw(store)
    with pytest.raises(sqlite3.IntegrityError, match="never lowered"):
        raw.execute("UPDATE scan_pages SET keep_until = '2020-01-01'")
    with pytest.raises(sqlite3.IntegrityError, match="never lowered"):
        raw.execute("UPDATE scan_pages SET keep_until = NULL")
    raw.execute("UPDATE scan_pages SET work_id = NULL, participant_id = NULL")   # the work link cleared …
    with pytest.raises(sqlite3.IntegrityError, match="retention"):
        raw.execute("DELETE FROM scan_pages")                                   # … still kept
    with pytest.raises(sqlite3.IntegrityError, match="retention"):
        raw.execute("DELETE FROM scan_files")                                   # files go only after pages
    # The trigger on the work's date dropped, the date moved back: the pages keep their own date.
    raw.execute("DROP TRIGGER works_date_not_back")
    raw.execute("UPDATE works SET work_date = '2020-01-10' WHERE id = ?", [work.id])
    raw.execute("UPDATE scan_pages SET work_id = ?", [work.id])
    assert purge_candidates(store) == []
    with pytest.raises(UserError, match="можно с"):
        purge_work(store, work.id)
    assert store.scalar("SELECT COUNT(*) FROM scan_pages") == 4
    raw.execute("UPDATE scan_pages SET work_id = NULL WHERE id = (SELECT MIN(id) FROM scan_pages)")
    problems = "\n".join(verify_store(store).problems)
    assert "нет объекта «триггер works_date_not_back»" in problems
    assert "скан отнесён к участнику, но не к работе (связь с работой удалена не программой)" in problems


def test_a_refused_purge_writes_no_act(scanned, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Even when the program's own check is passed (a bug, a clock set forward), the database
    refuses to delete a page within its date, and no act says anything was destroyed."""
    import coordinator_app.scans.retention as retention

    store, work = scanned
    monkeypatch.setattr(retention, "check_deletable", lambda *a, **k: None)
    act = tmp_path / "acts" / "Акт.pdf"
    with pytest.raises(UserError, match="Акт об уничтожении не составлен"):
        purge_work(store, work.id, act_out=act)
    assert not act.exists() and list(act.parent.glob("*")) == []
    assert store.scalar("SELECT COUNT(*) FROM scan_pages") == 4 and store.scalar("SELECT COUNT(*) FROM purges") == 0


def test_a_purge_after_the_date_writes_its_act(school_store: Store, tmp_path: Path) -> None:
    store = school_store
    add_pupils(store, [("Абрамов", "Кирилл", "", "4А")])
    work_id, _ = create_work(store, WorkDef("Математика", 4, TODAY - dt.timedelta(days=120), [TaskDef("1", 2)],
                                            classes=["4А"]))
    assign_codes(store, work_id)
    save_jpeg(title_page("40001", login="sch123456", work_key=get_work(store, work_id).work_key), tmp_path / "a.jpg")
    import_scans(store, [tmp_path / "a.jpg"], work_id=work_id, workers=1)
    act = tmp_path / "acts" / "Акт.pdf"
    result = purge_work(store, work_id, act_out=act)
    assert result.pages == 1 and act.read_bytes().startswith(b"%PDF")
    assert [p.name for p in act.parent.iterdir()] == ["Акт.pdf"]                  # no pending file left
    assert verify_store(store).ok


# -- verify: guards and rows -------------------------------------------------------------------------


def test_verify_is_clean_on_a_store_the_program_made(scanned) -> None:
    store, work = scanned
    set_score(store, work.id, "40001", "1", "2")
    report = verify_store(store)
    assert report.ok, report.problems


def test_verify_names_every_guard_dropped_or_rewritten_and_a_trigger_added(scanned) -> None:
    store, _ = scanned
    raw = _raw(store)
    raw.execute("DROP TRIGGER scan_pages_retention")
    raw.execute("DROP TRIGGER audit_log_no_delete")
    raw.execute("DROP TRIGGER scan_files_immutable")
    raw.execute("CREATE TRIGGER scan_files_immutable BEFORE UPDATE OF sha256 ON scan_files BEGIN SELECT 1; END")
    raw.execute("CREATE TRIGGER sneaky AFTER INSERT ON scores BEGIN UPDATE scores SET value = '0'; END")
    problems = "\n".join(verify_store(store).problems)
    assert "нет объекта «триггер scan_pages_retention»" in problems
    assert "нет объекта «триггер audit_log_no_delete»" in problems
    assert "триггер scan_files_immutable изменён(а) не программой" in problems
    assert "лишний объект «триггер sneaky»" in problems


def test_verify_names_a_keep_until_lowered_behind_the_guards_back(scanned) -> None:
    store, work = scanned
    raw = _raw(store)
    raw.execute("DROP TRIGGER scan_pages_keep_never_lowered")
    raw.execute("UPDATE scan_pages SET keep_until = '2020-01-01' WHERE id = (SELECT MIN(id) FROM scan_pages)")
    raw.executescript(_canonical_trigger("scan_pages_keep_never_lowered"))       # and put the guard back
    problems = "\n".join(verify_store(store).problems)
    assert "срок хранения скана занижен не программой" in problems and f"работа № {work.id}" in problems
    assert "2020-01-01" in problems


def _canonical_trigger(name: str) -> str:
    """The program's own text of a migration-7 trigger (to put a dropped guard back as it was)."""
    from coordinator_app.integrity import canonical_schema

    migration = Path(__file__).resolve().parents[1] / "coordinator_app" / "storage" / "migration_0007.sql"
    text = migration.read_text(encoding="utf-8")
    start = text.index(f"CREATE TRIGGER {name} ")
    end = text.index("END;", start) + 4
    assert ("trigger", name) in canonical_schema()
    return text[start:end]


# -- records that show tampering ---------------------------------------------------------------------


def test_verify_names_a_score_changed_directly_with_its_work_code_and_task(scanned) -> None:
    store, work = scanned
    set_score(store, work.id, "40001", "1", "1")
    set_score(store, work.id, "40001", "2", "0")
    set_score(store, work.id, "40002", "1", "2")
    raw = _raw(store)
    raw.execute("UPDATE scores SET value = '2' WHERE task_id = '1' AND participant_id = "
                "(SELECT id FROM participants WHERE code = '40001')")
    raw.execute("DELETE FROM scores WHERE task_id = '2'")
    raw.execute("INSERT INTO scores (participant_id, round, task_id, value, expert, entered_at) "
                "SELECT id, 1, '2', '1', 'x', '2026-04-21' FROM participants WHERE code = '40002'")
    problems = verify_store(store).problems
    assert f"балл изменён не программой: работа № {work.id}, код 40001, задание 1 — в базе «2», " \
           "по журналу изменений «1»" in problems
    assert f"балл удалён не программой: работа № {work.id}, код 40001, задание 2 — по журналу изменений «0»" \
           in problems
    assert any("код 40002, задание 2 — в базе «1», в журнале изменений его нет" in p for p in problems)


def test_verify_names_audit_records_altered_deleted_or_cut_off(scanned) -> None:
    store, work = scanned
    for value in ("1", "2", "0"):
        set_score(store, work.id, "40001", "1", value)
    last = store.scalar("SELECT MAX(id) FROM audit_log")
    raw = _raw(store)
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("DROP TRIGGER audit_log_no_delete")
    raw.execute("UPDATE audit_log SET actor = 'кто-то' WHERE id = 3")
    problems = "\n".join(verify_store(store).problems)
    assert "журнал изменений: запись 3" in problems and "изменена не программой" in problems

    raw.execute("UPDATE audit_log SET actor = (SELECT actor FROM audit_log WHERE id = 2) WHERE id = 3")
    raw.execute("DELETE FROM audit_log WHERE id = 4")
    problems = "\n".join(verify_store(store).problems)
    assert "записи 4–4 удалены" in problems

    raw.execute("DELETE FROM audit_log WHERE id >= ?", [last - 1])                  # the tail cut off
    problems = "\n".join(verify_store(store).problems)
    assert "последние записи журнала удалены или подменены" in problems


def test_records_are_chained_through_the_program_only(scanned) -> None:
    store, _ = scanned
    raw = _raw(store)
    with pytest.raises(sqlite3.IntegrityError, match="chained"):
        raw.execute("INSERT INTO audit_log (at, actor, action, entity, details) "
                    "VALUES ('2026-04-21T10:00:00', 'x', 'score.set', 'scores', '{}')")
    first, second = store.query("SELECT prev_hash, hash FROM audit_log ORDER BY id LIMIT 2")
    assert second["prev_hash"] == first["hash"] and len(first["hash"]) == 64


def test_an_older_store_is_chained_on_upgrade_and_keeps_every_record(data_dir: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import coordinator_app.storage as storage
    from coordinator_app.storage import migrations

    before = [m for m in migrations.MIGRATIONS if m.target <= 7]
    monkeypatch.setattr(storage, "MIGRATIONS", before)
    monkeypatch.setattr(storage, "latest_version", lambda: before[-1].target)
    old = open_store(data_dir)
    for n in range(3):
        old.conn.execute("INSERT INTO audit_log (at, actor, action, entity, entity_id, details) "
                         "VALUES (?, 'координатор', 'school.update', 'school', '1', '{}')", [f"2026-01-0{n + 1}T10:00:00"])
    old.close()
    monkeypatch.undo()
    store = open_store(data_dir)
    rows = store.query("SELECT id, prev_hash, hash FROM audit_log ORDER BY id")
    assert len(rows) == 3 and all(r["hash"] for r in rows)
    assert verify_store(store).ok, verify_store(store).problems
    set_value(store, "retention_days", 120)
    assert verify_store(store).ok
