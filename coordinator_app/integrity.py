"""The store's self-check beyond files and hashes (issue 11): what `verify` adds so that a direct
edit of the database file shows.

- **Protection**: every table, index and trigger is compared with the schema the program itself
  builds (the baseline and the same migrations, in memory): a guard dropped or rewritten, a
  trigger added, a table altered are named.
- **Stored scans**: every page has its file, an existing work and participant where it says so,
  and a keep-until date no earlier than its work's date + the shortest retention period the
  school ever set; every stored file has its pages.
- **The audit chain**: each record's hash covers its content and the previous hash, the head
  matches the anchor in `settings`; the current scores are rebuilt from the chain's «score.set»
  records and compared cell by cell with the `scores` table.

Every problem is a Russian sentence that names what is wrong (work, code, task where it applies).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from .audit import chain_hash, genesis
from .storage import Store, _apply_pragmas, _migrate

MAX_LISTED = 20          # problems of one kind listed; then «… и ещё N»


def _norm(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


@functools.lru_cache(maxsize=1)
def canonical_schema() -> dict[tuple[str, str], str]:
    """{(type, name): normalised SQL} of a store the program creates now (in memory)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        _apply_pragmas(conn)
        store = Store(Path("."), conn, "проверка")
        _migrate(store)
        return {(r[0], r[1]): _norm(r[2]) for r in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'")}
    finally:
        conn.close()


_KIND_RU = {"table": "таблица", "index": "индекс", "trigger": "триггер", "view": "представление"}


def schema_problems(store: Store) -> list[str]:
    """The store's tables, indexes and triggers against the program's own."""
    want = canonical_schema()
    have = {(r["type"], r["name"]): _norm(r["sql"]) for r in store.query(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'")}
    problems = []
    for (kind, name), sql in sorted(want.items()):
        what = f"{_KIND_RU.get(kind, kind)} {name}"
        if (kind, name) not in have:
            problems.append(f"защита базы нарушена: нет объекта «{what}» — база изменена не программой")
        elif have[(kind, name)] != sql:
            problems.append(f"защита базы нарушена: {what} изменён(а) не программой")
    for (kind, name) in sorted(set(have) - set(want)):
        problems.append(f"защита базы нарушена: лишний объект «{_KIND_RU.get(kind, kind)} {name}», "
                        "программа его не создавала")
    return problems


def _retention_floor_days(store: Store) -> int:
    """The shortest retention period the school ever had: the current one and every one the
    audit log records (settings are changed through the program, which records them)."""
    days = [int(json.loads(store.scalar("SELECT value FROM settings WHERE key = 'retention_days'") or "90"))]
    for row in store.query("SELECT details FROM audit_log WHERE action = 'settings.set' AND entity_id = 'retention_days'"):
        try:
            details = json.loads(row["details"])
        except ValueError:
            continue
        for value in (details.get("old"), details.get("new"), details.get("value")):
            if isinstance(value, (int, str)) and str(value).isdigit():
                days.append(int(value))
    return max(1, min(days))


def _listed(problems: list[str], more: int, what: str) -> list[str]:
    return problems + ([f"… и ещё {more} ({what})"] if more > 0 else [])


def _page_problems(r: Any, floor: int) -> list[str]:
    """What does not hold together in one stored page's row."""
    found = []
    page = f"страница {r['page_no']} файла «{r['original_name']}»" if r["original_name"] else \
        f"страница № {r['id']} (её файла нет в базе)"
    if r["original_name"] is None:
        found.append(f"скан без файла: {page}")
    if r["work_id"] is not None and r["work_exists"] is None:
        found.append(f"скан ссылается на несуществующую работу № {r['work_id']}: {page}")
    if r["participant_id"] is not None and r["participant_exists"] is None:
        found.append(f"скан ссылается на несуществующего участника: {page}")
    if r["status"] in ("assigned", "blank", "extra") and r["work_id"] is None:
        found.append(f"скан отнесён к участнику, но не к работе (связь с работой удалена не программой): {page}")
    if r["work_id"] is not None and not r["keep_until"]:
        found.append(f"у скана не записан срок хранения: {page}")
    elif r["work_exists"] is not None and r["keep_until"]:
        least = dt.date.fromisoformat(r["work_date"]) + dt.timedelta(days=floor)
        if dt.date.fromisoformat(r["keep_until"]) < least:
            found.append(f"срок хранения скана занижен не программой: {page} (работа № {r['work_id']}, "
                         f"код {r['code'] or '—'}) хранится до {r['keep_until']}, а должна не раньше {least}")
    return found


def _audio_problems(store: Store, floor: int) -> list[str]:
    """Audio files of no work, or kept for less than the shortest retention period."""
    found = []
    for r in store.query("""SELECT a.original_name, a.keep_until, w.work_date, a.work_id FROM audio_files a
                            LEFT JOIN works w ON w.id = a.work_id"""):
        if r["work_date"] is None:
            found.append(f"аудиозапись «{r['original_name']}» ссылается на несуществующую работу № {r['work_id']}")
        elif not r["keep_until"] or dt.date.fromisoformat(r["keep_until"]) < (
                dt.date.fromisoformat(r["work_date"]) + dt.timedelta(days=floor)):
            found.append(f"срок хранения аудиозаписи «{r['original_name']}» занижен не программой")
    return found


def scan_problems(store: Store) -> list[str]:
    """Scan rows that do not hold together, and keep-until dates lowered by hand."""
    rows = store.query(
        """SELECT p.id, p.page_no, p.work_id, p.participant_id, p.status, p.keep_until, f.original_name,
                  w.id AS work_exists, w.work_date, pa.id AS participant_exists, pa.code
           FROM scan_pages p LEFT JOIN scan_files f ON f.id = p.file_id LEFT JOIN works w ON w.id = p.work_id
           LEFT JOIN participants pa ON pa.id = p.participant_id""")
    floor = _retention_floor_days(store)
    found: list[str] = []
    for r in rows:
        found += _page_problems(r, floor)
    found += _audio_problems(store, floor)
    for r in store.query("""SELECT f.original_name FROM scan_files f
                            WHERE NOT EXISTS (SELECT 1 FROM scan_pages p WHERE p.file_id = f.id)"""):
        found.append(f"сохранённый файл сканов «{r['original_name']}» без страниц в базе")
    return _listed(found[:MAX_LISTED], len(found) - MAX_LISTED, "сканы")


#: A score as the audit chain last set it, keyed (participant, round, task): (value, work id, code, task).
Replay = dict[tuple[int, int, str], tuple[Any, int, str, str]]


def _link_problem(row: tuple[Any, ...], expected_id: int, prev: str) -> str:
    """Why an audit record does not continue the chain ("" when it does)."""
    record_id, at, actor, action, entity, entity_id, details, prev_hash, digest = row
    if record_id != expected_id:
        return (f"журнал изменений: записи {expected_id}–{record_id - 1} удалены "
                "(цепочка записей прервана)" if record_id > expected_id
                else f"журнал изменений: запись {record_id} не на своём месте")
    if prev_hash != prev:
        return f"журнал изменений: запись {record_id} не продолжает предыдущую (цепочка прервана)"
    if digest != chain_hash(prev, record_id, at, actor, action, entity, entity_id, details):
        return (f"журнал изменений: запись {record_id} ({action}, {at[:16].replace('T', ' ')}) "
                "изменена не программой")
    return ""


def _replay_record(replay: Replay, action: str, entity_id: Any, details: str) -> Replay:
    """The scores as they stand after one more audit record (a score set, a work deleted)."""
    if action == "score.set":
        try:
            d = json.loads(details)
            key = (int(entity_id), int(d.get("round", 1)), str(d["task"]))
        except (ValueError, KeyError, TypeError):
            return replay
        replay[key] = (d.get("new"), int(d.get("work_id") or 0), str(d.get("code") or ""), str(d["task"]))
    elif action == "work.delete" and entity_id is not None:
        gone = int(entity_id)
        replay = {k: v for k, v in replay.items() if v[1] != gone}
    return replay


def _head_problem(store: Store, last: tuple[int, str] | None) -> list[str]:
    """The chain's last record must be the one the anchor in `settings` names."""
    head_text = store.scalar("SELECT value FROM settings WHERE key = 'audit_head'")
    head = json.loads(head_text) if head_text else None
    if head is not None and (last is None or head.get("id") != last[0] or head.get("hash") != last[1]):
        return ["журнал изменений: последние записи журнала удалены или подменены "
                f"(записей по журналу {head.get('id')}, в базе {last[0] if last else 0})"]
    return []


def audit_problems(store: Store) -> list[str]:
    """Walk the audit chain, check its anchor, and rebuild the current scores from it."""
    problems: list[str] = []
    prev = genesis(store)
    expected_id = 1
    last: tuple[int, str] | None = None
    replay: Replay = {}
    for row in store.conn.execute(
            "SELECT id, at, actor, action, entity, entity_id, details, prev_hash, hash FROM audit_log ORDER BY id"):
        record_id, _at, _actor, action, _entity, entity_id, details, _prev_hash, digest = row
        if not problems:      # the first break is named; past it every link would fail
            problem = _link_problem(row, expected_id, prev)
            if problem:
                problems.append(problem)
        prev, expected_id, last = digest or "", record_id + 1, (record_id, digest)
        replay = _replay_record(replay, action, entity_id, details)
    problems += _head_problem(store, last)
    problems += _score_problems(store, replay)
    return problems


def _score_problems(store: Store, replay: Replay) -> list[str]:
    current = {(r[0], r[1], r[2]): r[3] for r in store.conn.execute(
        "SELECT participant_id, round, task_id, value FROM scores")}
    where = {r[0]: (r[1], r[2]) for r in store.conn.execute("SELECT id, work_id, code FROM participants")}
    found: list[str] = []
    round_ru = {1: "", 2: " (перепроверка)", 3: " (решение комиссии)"}

    def name(key: tuple[int, int, str]) -> str:
        work_id, code = where.get(key[0], (None, None))
        task = key[2]
        return f"работа № {work_id}, код {code}, задание {task}{round_ru.get(key[1], '')}"

    for key, value in current.items():
        logged = replay.get(key)
        if logged is None:
            found.append(f"балл изменён не программой: {name(key)} — в базе «{value}», в журнале изменений его нет")
        elif logged[0] != value:
            found.append(f"балл изменён не программой: {name(key)} — в базе «{value}», по журналу изменений "
                         f"«{logged[0] if logged[0] is not None else 'пусто'}»")
    for key, logged in replay.items():
        if logged[0] is not None and key not in current and key[0] in where and where[key[0]][0] == logged[1]:
            found.append(f"балл удалён не программой: {name(key)} — по журналу изменений «{logged[0]}»")
    return _listed(found[:MAX_LISTED], len(found) - MAX_LISTED, "баллы")


def problems(store: Store) -> list[str]:
    return schema_problems(store) + scan_problems(store) + audit_problems(store)
