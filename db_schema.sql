-- ВПР-Координатор: the baseline schema (schema version 1).
--
-- A new database is created from this file and then runs the same numbered migration chain as
-- an old one (coordinator_app/storage/migrations.py); the version lives in PRAGMA user_version.
-- Never edit this file to change the schema of existing installations: add a migration.
--
-- Privacy rule: pupils' names live only in `students` (the protocol tables). Everything else,
-- the audit log included, refers to pupils by id and participant code.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL                       -- JSON
);

CREATE TABLE school (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    name          TEXT NOT NULL,
    login         TEXT NOT NULL,              -- ФИС ОКО login, e.g. sch123456
    municipality  TEXT NOT NULL DEFAULT '',
    academic_year TEXT NOT NULL,              -- 2025/2026
    director      TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE classes (
    id      INTEGER PRIMARY KEY,
    grade   INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 11),
    letter  TEXT NOT NULL,
    ordinal INTEGER CHECK (ordinal IS NULL OR ordinal > 0),   -- «Порядковый номер класса» in the form
    UNIQUE (grade, letter)
);

CREATE TABLE students (
    id          INTEGER PRIMARY KEY,
    class_id    INTEGER NOT NULL REFERENCES classes(id),
    surname     TEXT NOT NULL,
    name        TEXT NOT NULL,
    patronymic  TEXT NOT NULL DEFAULT '',
    gender      TEXT CHECK (gender IS NULL OR gender IN ('м', 'ж')),
    code        TEXT UNIQUE,                  -- the year's participant code (one code per pupil)
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX students_class ON students(class_id);

CREATE TABLE works (
    id             INTEGER PRIMARY KEY,
    work_key       TEXT NOT NULL UNIQUE,      -- 6-char key printed in the QR labels
    subject        TEXT NOT NULL,
    grade          INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 11),
    work_date      TEXT NOT NULL,             -- YYYY-MM-DD
    parts          INTEGER NOT NULL DEFAULT 1 CHECK (parts IN (1, 2)),
    scale          TEXT,                      -- JSON [min «3», min «4», min «5»] or NULL
    source         TEXT NOT NULL DEFAULT 'manual',   -- manual | template | catalogue
    template_file  TEXT,                      -- path relative to the data dir
    template_sha256 TEXT,
    template_info  TEXT,                      -- JSON: optional columns, allowed values, code range
    has_gender     INTEGER NOT NULL DEFAULT 0,
    has_classes_sheet INTEGER NOT NULL DEFAULT 0,
    allows_not_passed INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE work_tasks (
    work_id   INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    task_id   TEXT NOT NULL,                  -- "1", "9.1", "8(1)", "4К1"
    max_score INTEGER NOT NULL CHECK (max_score > 0),
    part      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (work_id, position),
    UNIQUE (work_id, task_id)
);

CREATE TABLE work_classes (
    work_id  INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    class_id INTEGER NOT NULL REFERENCES classes(id),
    PRIMARY KEY (work_id, class_id)
);

CREATE TABLE participants (
    id         INTEGER PRIMARY KEY,
    work_id    INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    student_id INTEGER NOT NULL REFERENCES students(id),
    class_id   INTEGER NOT NULL REFERENCES classes(id),   -- the class at the time of the work
    code       TEXT NOT NULL,
    absent     INTEGER NOT NULL DEFAULT 0,
    variant1   TEXT,
    variant2   TEXT,
    UNIQUE (work_id, code),
    UNIQUE (work_id, student_id)
);
CREATE INDEX participants_student ON participants(student_id);

-- Append-only: the triggers below refuse any UPDATE or DELETE.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,                  -- local time, ISO 8601
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,                  -- e.g. student.update
    entity    TEXT NOT NULL,                  -- table name
    entity_id TEXT,
    details   TEXT NOT NULL DEFAULT '{}'      -- JSON: old/new values (never pupils' names)
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
