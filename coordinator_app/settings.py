"""Typed program settings kept in the database (`settings` table, JSON values).

Defaults live here, in one place; a setting never written reads as its default.
"""

from __future__ import annotations

import json
from typing import Any

from . import audit
from .changes import Changes, Topic
from .storage import Store

DEFAULTS: dict[str, Any] = {
    # One participant code per pupil for every work of the year (DOMAIN.md: common practice,
    # not a rule, so it is a setting).
    "one_code_per_year": True,
    # Default sticker sheet for labels.
    "label_layout": "a4-3x8",
    # Label copies per participant (title page + a spare).
    "label_copies": 1,
    # Scans and audio are kept this many days from the work's date (seed 004 §5.9–5.10).
    "retention_days": 90,
    # The local order that sets the retention period, printed in the destruction act.
    "retention_order": "",
    # Scoring: a task worth at most 9 points takes its score from one key (a digit, X/Х, N/Н)
    # and moves on without Enter.
    "one_key_scoring": True,
    # A page without a label that follows a labelled page belongs to the same participant.
    "follow_unlabelled": True,
    # Refuse (not only warn) assigning an expert to a work of a class they teach (seed 004 §5.3).
    "forbid_own_class": False,
    # Scheduled backups: folder, every N days (0 = off), how many archives to keep in the folder.
    "backup_dir": None,
    "backup_every_days": 0,
    "backup_keep": 10,
    # Scheduled backups without a password: only by the coordinator's explicit choice (the
    # password for them is kept outside the database: backup.set_scheduled_password).
    "backup_plain": False,
}


def get(store: Store, key: str) -> Any:
    row = store.one("SELECT value FROM settings WHERE key = ?", [key])
    if row is None:
        return DEFAULTS.get(key)
    return json.loads(row["value"])


SECRET_KEYS = frozenset({"coordinator_pin"})


def set_value(store: Store, key: str, value: Any) -> Changes:
    old = get(store, key)
    with store.atomic() as db:
        db["settings"].upsert({"key": key, "value": json.dumps(value, ensure_ascii=False)}, pk="key")
        if key in SECRET_KEYS:
            audit.record(store, "settings.set", "settings", key, changed=True)
        else:
            audit.record(store, "settings.set", "settings", key, old=old, new=value)
    return Changes.of(Topic.SETTINGS)

