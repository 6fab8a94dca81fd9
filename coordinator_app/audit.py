"""The append-only audit log: who changed what and when.

Every use-case that changes pupils, classes, codes, works (and later scans, scores, exports)
calls `record()` inside its own transaction, so the change and its record commit together.
Details never carry pupils' names (the privacy rule of db_schema.sql): pupils are named by id
and participant code, and a changed name is recorded as "changed" without the values.
"""

from __future__ import annotations

import json
from typing import Any

from .storage import Store, now_iso

NAME_FIELDS = frozenset({"surname", "name", "patronymic"})


def redact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: ("…" if k in NAME_FIELDS else v) for k, v in values.items()}


def record(store: Store, action: str, entity: str, entity_id: Any = None, **details: Any) -> None:
    # A plain INSERT: sqlite-utils' insert() inspects the schema on every call (~1 ms), and the
    # scan import records one entry per file.
    store.db.execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, details) VALUES (?, ?, ?, ?, ?, ?)",
        [now_iso(), store.actor, action, entity, None if entity_id is None else str(entity_id),
         json.dumps(details, ensure_ascii=False, default=str)],
    )


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
