"""The append-only audit log: who changed what and when.

Every use-case that changes pupils, classes, codes, works (and later scans, scores, exports)
calls `record()` inside its own transaction, so the change and its record commit together.
Details never carry pupils' names (the privacy rule of db_schema.sql): pupils are named by id
and participant code, and a changed name is recorded as "changed" without the values.

The log is a hash chain (migration 8): each record's `hash` covers its content and the previous
record's hash, and the head is anchored in `settings` (`audit_head`). `integrity.audit_problems`
walks it; an edit, a deletion or an insertion made outside the program shows there.
"""

from __future__ import annotations

import json
from typing import Any

from .storage import Store, now_iso

NAME_FIELDS = frozenset({"surname", "name", "patronymic"})


def chain_hash(prev_hash: str, record_id: int, at: str, actor: str, action: str, entity: str,
               entity_id: str | None, details: str) -> str:
    """The hash of one audit record: SHA-256 over the previous record's hash and every field."""
    import hashlib

    text = "\x1f".join([prev_hash, str(record_id), at, actor, action, entity, entity_id or "", details])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def genesis(store: Store) -> str:
    value = store.scalar("SELECT value FROM settings WHERE key = 'audit_genesis'")
    return json.loads(value) if value else ""


def record(store: Store, action: str, entity: str, entity_id: Any = None, **details: Any) -> None:
    """Append one record, chained to the last (inside the caller's write transaction, which holds
    the write lock: no other writer can append in between)."""
    # Plain SQL: sqlite-utils' insert() inspects the schema on every call (~1 ms), and the scan
    # import records one entry per file, the form import one per cell.
    conn = store.conn
    head = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    record_id, prev = (head[0] + 1, head[1]) if head else (1, genesis(store))
    row = [record_id, now_iso(), store.actor, action, entity, None if entity_id is None else str(entity_id),
           json.dumps(details, ensure_ascii=False, default=str)]
    digest = chain_hash(prev, *row)
    conn.execute("INSERT INTO audit_log (id, at, actor, action, entity, entity_id, details, prev_hash, hash)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [*row, prev, digest])
    conn.execute("UPDATE settings SET value = ? WHERE key = 'audit_head'",
                 [json.dumps({"id": record_id, "hash": digest})])


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Changed fields as {field: [old, new]}; names are marked changed without their values."""
    changed: dict[str, Any] = {}
    for key, value in new.items():
        if key in old and old[key] != value:
            changed[key] = "изменено" if key in NAME_FIELDS else [old[key], value]
    return changed


def entries(store: Store, limit: int = 500, entity: str | None = None) -> list[dict[str, Any]]:
    where, params = ("WHERE entity = ?", [entity]) if entity else ("", [])
    rows = store.query(f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ?", [*params, limit])
    for row in rows:
        row["details"] = json.loads(row["details"] or "{}")
    return rows
