"""Version 8: the audit log becomes a hash chain (issue 11).

Each record carries `prev_hash` (the previous record's `hash`; the first one's is the store's
random `audit_genesis`) and `hash` = SHA-256 over its content and `prev_hash`
(`coordinator_app.audit.chain_hash`). The records already there are chained here, in their order.
The head (last id and hash) is kept in `settings` as `audit_head`: a record deleted from the end,
as one altered or removed in the middle, no longer matches. A record inserted without a hash is
refused by a trigger, so every writer goes through `audit.record`.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

NO_UPDATE = """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"""
CHAINED = """CREATE TRIGGER audit_log_chained BEFORE INSERT ON audit_log
WHEN NEW.hash IS NULL OR NEW.prev_hash IS NULL
BEGIN SELECT RAISE(ABORT, 'audit_log records are chained: write them through the program'); END"""



def migrate(db: sqlite_utils.Database) -> None:
    from coordinator_app.audit import chain_hash  # here: audit imports the store (import cycle)

    db.execute("ALTER TABLE audit_log ADD COLUMN prev_hash TEXT")
    db.execute("ALTER TABLE audit_log ADD COLUMN hash TEXT")
    genesis = secrets.token_hex(16)
    db.execute("DROP TRIGGER audit_log_no_update")
    prev, last = genesis, 0
    rows = db.execute("SELECT id, at, actor, action, entity, entity_id, details FROM audit_log ORDER BY id").fetchall()
    for row in rows:
        digest = chain_hash(prev, *row)
        db.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", [prev, digest, row[0]])
        prev, last = digest, row[0]
    db.execute(NO_UPDATE)
    db.execute(CHAINED)
    db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('audit_genesis', ?)", [json.dumps(genesis)])
    db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('audit_head', ?)",
               [json.dumps({"id": last, "hash": prev})])
