"""Numbered schema migrations on top of the baseline `db_schema.sql` (version 1).

`MIGRATIONS[n]` takes a database from version `n` to `n + 1`. A new database is created from
the baseline and then runs the whole chain, exactly like an old one, so every installation
reaches the same schema by the same steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store imports sqlite-utils only when it writes (see storage/__init__.py)
    import sqlite_utils

from .migration_0008 import migrate as migrate_0008

BASELINE_VERSION = 1


@dataclass(frozen=True)
class Migration:
    target: int
    description: str
    apply: Callable[[sqlite_utils.Database], None]


def _sql(script: str) -> Callable[[sqlite_utils.Database], None]:
    def run(db: sqlite_utils.Database) -> None:
        # Statements one by one inside the caller's transaction (executescript would commit).
        for statement in _split_sql(script):
            db.execute(statement)

    return run


def _split_sql(script: str) -> list[str]:
    import sqlite3

    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def _sql_file(name: str) -> Callable[[sqlite_utils.Database], None]:
    from pathlib import Path

    return _sql((Path(__file__).parent / name).read_text(encoding="utf-8"))


MIGRATIONS: list[Migration] = [
    Migration(2, "scanned works, audio files, purges", _sql_file("migration_0002.sql")),
    Migration(3, "experts, scores by round, second checks, journal marks", _sql_file("migration_0003.sql")),
    Migration(4, "work attachments, class textbooks, export records", _sql_file("migration_0004.sql")),
    Migration(5, "pages per participant's work", _sql_file("migration_0005.sql")),
    Migration(6, "pupils' dates of birth", _sql_file("migration_0006.sql")),
    Migration(7, "keep-until date per stored page and audio file; retention guards", _sql_file("migration_0007.sql")),
    Migration(8, "the audit log as a hash chain", lambda db: _chain_audit_log(db)),
    Migration(9, "task levels, open answers and requirements; analysis thresholds; reference rows",
              _sql_file("migration_0009.sql")),
    Migration(10, "the second check's sample in labelled parts (random, targeted, named)",
              _sql_file("migration_0010.sql")),
    Migration(11, "results returned by ФИС ОКО; school years; pupils who left",
              _sql_file("migration_0011.sql")),
    Migration(12, "a closed school year is read-only", _sql_file("migration_0012.sql")),
]


def _chain_audit_log(db: sqlite_utils.Database) -> None:
    migrate_0008(db)


def latest_version() -> int:
    return BASELINE_VERSION + len(MIGRATIONS)
