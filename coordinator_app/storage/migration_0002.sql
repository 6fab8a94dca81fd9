-- Migration 2: scanned works, audio files, purges (issue: scans).
--
-- Stored files never change: a page's bytes, hash and path are immutable (triggers below), and a
-- work's pages and audio cannot be deleted before the retention date (work date + retention_days,
-- settings, default 90). Rotation, assignment and order are metadata and may change.

CREATE TABLE scan_batches (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    work_id     INTEGER REFERENCES works(id),
    actor       TEXT NOT NULL,
    report      TEXT                               -- JSON summary
);

CREATE TABLE scan_files (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,                   -- jpeg png tiff bmp pdf
    original_name TEXT NOT NULL,
    stored_path   TEXT NOT NULL,                   -- relative to the data dir
    size          INTEGER NOT NULL,
    pages         INTEGER NOT NULL,
    batch_id      INTEGER REFERENCES scan_batches(id),
    imported_at   TEXT NOT NULL
);

CREATE TABLE scan_pages (
    id             INTEGER PRIMARY KEY,
    file_id        INTEGER NOT NULL REFERENCES scan_files(id),
    page_no        INTEGER NOT NULL,               -- 1-based within the file
    sha256         TEXT NOT NULL,                  -- of the page image file
    image_path     TEXT NOT NULL,                  -- the original itself for single images
    thumb_path     TEXT NOT NULL,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    work_id        INTEGER REFERENCES works(id),
    participant_id INTEGER REFERENCES participants(id),
    position       INTEGER,                        -- order within the participant's work
    status         TEXT NOT NULL DEFAULT 'unassigned'
                   CHECK (status IN ('assigned', 'unassigned', 'blank', 'extra', 'conflict')),
    method         TEXT,                           -- qr | filename | following | manual
    is_title       INTEGER NOT NULL DEFAULT 0,
    rotation       INTEGER NOT NULL DEFAULT 0 CHECK (rotation IN (0, 90, 180, 270)),
    qr_text        TEXT,
    note           TEXT,                           -- why the page waits in a queue
    batch_id       INTEGER REFERENCES scan_batches(id),
    seq            INTEGER,                        -- order within the batch
    UNIQUE (file_id, page_no)
);
CREATE INDEX scan_pages_participant ON scan_pages(participant_id, position);
CREATE INDEX scan_pages_work_status ON scan_pages(work_id, status);

CREATE TABLE audio_files (
    id             INTEGER PRIMARY KEY,
    work_id        INTEGER NOT NULL REFERENCES works(id),
    participant_id INTEGER NOT NULL REFERENCES participants(id),
    sha256         TEXT NOT NULL,
    original_name  TEXT NOT NULL,
    stored_path    TEXT NOT NULL,
    size           INTEGER NOT NULL,
    imported_at    TEXT NOT NULL,
    UNIQUE (participant_id, sha256)
);

CREATE TABLE purges (
    id         INTEGER PRIMARY KEY,
    work_id    INTEGER NOT NULL,                   -- no FK: the record outlives the rows it purged
    work_title TEXT NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    files      INTEGER NOT NULL,
    details    TEXT NOT NULL,                      -- JSON: every file's name and SHA-256
    act_path   TEXT
);

CREATE TRIGGER scan_files_immutable BEFORE UPDATE OF sha256, stored_path, size, kind ON scan_files
BEGIN SELECT RAISE(ABORT, 'stored scan files are immutable'); END;

CREATE TRIGGER scan_pages_immutable BEFORE UPDATE OF file_id, page_no, sha256, image_path ON scan_pages
BEGIN SELECT RAISE(ABORT, 'stored scan pages are immutable'); END;

CREATE TRIGGER audio_files_immutable BEFORE UPDATE OF sha256, stored_path, size ON audio_files
BEGIN SELECT RAISE(ABORT, 'stored audio files are immutable'); END;

CREATE TRIGGER scan_pages_retention BEFORE DELETE ON scan_pages
WHEN OLD.work_id IS NOT NULL AND date(
        (SELECT work_date FROM works WHERE id = OLD.work_id),
        '+' || COALESCE((SELECT value FROM settings WHERE key = 'retention_days'), '90') || ' days'
     ) > date('now', 'localtime')
BEGIN SELECT RAISE(ABORT, 'retention: the work''s scans are kept until its retention date'); END;

CREATE TRIGGER audio_files_retention BEFORE DELETE ON audio_files
WHEN date(
        (SELECT work_date FROM works WHERE id = OLD.work_id),
        '+' || COALESCE((SELECT value FROM settings WHERE key = 'retention_days'), '90') || ' days'
     ) > date('now', 'localtime')
BEGIN SELECT RAISE(ABORT, 'retention: the work''s audio is kept until its retention date'); END;
