"""What a use-case changed, so every view can decide whether to refresh (Anki's OpChanges).

Each mutating domain function returns a `Changes`: the `Topic`s it touched. The GUI broadcasts it
through one app-wide signal and each page refreshes only if a topic it shows is in it. Topics are
one enumeration, so a page cannot subscribe to a misspelt one: `Changes.of("scan")` fails at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Topic(str, Enum):
    """What a change is about (mostly a table; `MODE` is expert mode, `EXPORTS` the export records)."""

    SCHOOL = "school"
    CLASSES = "classes"
    STUDENTS = "students"
    WORKS = "works"
    PARTICIPANTS = "participants"
    SETTINGS = "settings"
    SCORES = "scores"
    SCANS = "scans"
    EXPERTS = "experts"
    MODE = "mode"
    EXPORTS = "exports"
    THRESHOLDS = "thresholds"      # the analysis thresholds
    REFERENCES = "references"      # a work's reference rows (Russia, region, municipality)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Changes:
    topics: frozenset[Topic] = field(default_factory=frozenset)

    @classmethod
    def of(cls, *topics: Topic) -> Changes:
        return cls(frozenset(Topic(topic) for topic in topics))   # Topic(...) refuses a misspelt topic

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.topics | other.topics)

    def touches(self, *topics: Topic) -> bool:
        return bool(self.topics.intersection(topics))

    def __bool__(self) -> bool:
        return bool(self.topics)
