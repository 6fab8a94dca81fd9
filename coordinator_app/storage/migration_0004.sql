-- Migration 4: exports (issue: exports).
--
-- Files the coordinator attaches to a work (the criteria for each variant, for the re-check
-- package), the textbook chosen per class for the form's «Классы» sheet, and a record of every
-- export that left the program.

CREATE TABLE work_attachments (
    id            INTEGER PRIMARY KEY,
    work_id       INTEGER NOT NULL REFERENCES works(id),
    kind          TEXT NOT NULL DEFAULT 'criteria',   -- criteria | other
    variant       TEXT,                               -- the variant the criteria are for, if any
    original_name TEXT NOT NULL,
    stored_path   TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    added_at      TEXT NOT NULL,
    UNIQUE (work_id, sha256)
);

CREATE TABLE class_textbooks (
    work_id  INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    class_id INTEGER NOT NULL REFERENCES classes(id),
    textbook TEXT NOT NULL,
    PRIMARY KEY (work_id, class_id)
);

CREATE TABLE exports (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,                    -- form | package | backup
    work_id         INTEGER,
    target          TEXT NOT NULL,
    files           INTEGER NOT NULL,
    manifest_sha256 TEXT,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    details         TEXT NOT NULL DEFAULT '{}'
);

CREATE TRIGGER work_attachments_immutable BEFORE UPDATE OF sha256, stored_path, size ON work_attachments
BEGIN SELECT RAISE(ABORT, 'stored attachments are immutable'); END;
