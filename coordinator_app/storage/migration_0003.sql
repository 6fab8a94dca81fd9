-- Migration 3: expert scoring (issue: scoring).
--
-- Scores are kept per round: 1 = the school's experts, 2 = the second check (blind to round 1),
-- 3 = the value settled by a third expert or the commission chair, with a reason. The final
-- score of a task is round 3 if present, else round 1; earlier rounds are never overwritten by
-- later ones. Every change is also in the audit log with the old and new value.

ALTER TABLE participants ADD COLUMN journal_mark TEXT
    CHECK (journal_mark IS NULL OR journal_mark IN ('5', '4', '3', '2', 'нет отметки'));

CREATE TABLE experts (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    subjects   TEXT NOT NULL DEFAULT '[]',       -- JSON list of subjects
    created_at TEXT NOT NULL
);

CREATE TABLE expert_classes (                    -- the classes an expert teaches
    expert_id INTEGER NOT NULL REFERENCES experts(id) ON DELETE CASCADE,
    class_id  INTEGER NOT NULL REFERENCES classes(id),
    PRIMARY KEY (expert_id, class_id)
);

CREATE TABLE work_experts (
    work_id   INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    expert_id INTEGER NOT NULL REFERENCES experts(id),
    PRIMARY KEY (work_id, expert_id)
);

CREATE TABLE scores (
    participant_id INTEGER NOT NULL REFERENCES participants(id),
    round          INTEGER NOT NULL CHECK (round IN (1, 2, 3)),
    task_id        TEXT NOT NULL,
    value          TEXT NOT NULL,                -- "0".."max", "X", "не пройд."
    expert         TEXT,                         -- who entered it
    reason         TEXT,                         -- round 3: why the commission settled on it
    entered_at     TEXT NOT NULL,
    PRIMARY KEY (participant_id, round, task_id)
) WITHOUT ROWID;

CREATE TABLE second_checks (
    id         INTEGER PRIMARY KEY,
    work_id    INTEGER NOT NULL REFERENCES works(id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    expert     TEXT,                             -- the second expert
    share      REAL,                             -- the sampled share, if sampled
    seed       INTEGER,                          -- the random seed, if sampled
    note       TEXT
);

CREATE TABLE second_check_items (
    check_id       INTEGER NOT NULL REFERENCES second_checks(id),
    participant_id INTEGER NOT NULL REFERENCES participants(id),
    PRIMARY KEY (check_id, participant_id)
);
