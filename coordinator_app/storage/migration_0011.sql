-- 11: what ФИС ОКО returns after the upload, and several school years (issue 15).
--
-- The reports imported for a work («Аналитика»): one row per kind; importing the same kind again
-- replaces it. `school_group` is the school's row as ФИС ОКО names it; no report holds a name.
CREATE TABLE result_imports (
    id            INTEGER PRIMARY KEY,
    work_id       INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('individual', 'marks', 'journal')),
    file_name     TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',          -- «ВПР 2026 Русский язык 4 класс»
    school_group  TEXT NOT NULL DEFAULT '',
    rows          INTEGER NOT NULL CHECK (rows >= 0),
    school_row    TEXT,                              -- JSON: the school's group row (counts, %)
    imported_at   TEXT NOT NULL,
    UNIQUE (work_id, kind)
);

-- «Индивидуальные результаты» as ФИС ОКО holds them, one row per code: compared with the school's
-- own data (the reconciliation) and, for a past work imported without scans, its results.
CREATE TABLE official_results (
    work_id        INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    code           TEXT NOT NULL,
    class_ordinal  INTEGER,
    variant        TEXT,
    scores         TEXT NOT NULL,                    -- JSON {task_id: "2" | "X" | "не пройд." …}
    primary_score  INTEGER,
    mark           TEXT CHECK (mark IS NULL OR mark IN ('2', '3', '4', '5')),
    journal_mark   TEXT CHECK (journal_mark IS NULL OR journal_mark IN ('2', '3', '4', '5')),
    PRIMARY KEY (work_id, code)
);

-- School years: the current one is open; a closed year's works, scores and analysis stay, read-only.
CREATE TABLE school_years (
    year        TEXT PRIMARY KEY CHECK (year GLOB '[0-9][0-9][0-9][0-9]/[0-9][0-9][0-9][0-9]'),
    closed_at   TEXT
);
INSERT INTO school_years (year) SELECT academic_year FROM school WHERE id = 1
    AND academic_year GLOB '[0-9][0-9][0-9][0-9]/[0-9][0-9][0-9][0-9]';

-- A pupil who was not in the new year's lists: kept (past works refer to them), shown apart.
ALTER TABLE students ADD COLUMN left_at TEXT;
