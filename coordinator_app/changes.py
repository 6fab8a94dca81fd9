"""What a use-case changed, so every view can decide whether to refresh (Anki's OpChanges).

Each mutating domain function returns a `Changes`; the GUI broadcasts it through one app-wide
signal and each page refreshes only if a table it shows is in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCHOOL = "school"
CLASSES = "classes"
STUDENTS = "students"
WORKS = "works"
PARTICIPANTS = "participants"
SETTINGS = "settings"


@dataclass(frozen=True)
class Changes:
    tables: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, *tables: str) -> "Changes":
        return cls(frozenset(tables))

    def __or__(self, other: "Changes") -> "Changes":
        return Changes(self.tables | other.tables)

    def touches(self, *tables: str) -> bool:
        return bool(self.tables.intersection(tables))

    def __bool__(self) -> bool:
        return bool(self.tables)
