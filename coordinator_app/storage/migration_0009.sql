-- Version 9: what the analysis of results needs (issue 14; OBJECTIVITY.md §10).
-- Per task of a work: its level (Б базовый, П повышенный, В высокий; NULL not known), whether it is
-- scored by an expert's judgement («развёрнутый ответ»: 1, 0; NULL not known) and the checked
-- requirement («проверяемое умение»). Columns of work_tasks: a task's rows never change after the
-- work is created, and every reader of the tasks gets them with one query.
ALTER TABLE work_tasks ADD COLUMN level TEXT CHECK (level IS NULL OR level IN ('Б', 'П', 'В'));
ALTER TABLE work_tasks ADD COLUMN open_answer INTEGER CHECK (open_answer IS NULL OR open_answer IN (0, 1));
ALTER TABLE work_tasks ADD COLUMN requirement TEXT CHECK (requirement IS NULL OR length(requirement) <= 1000);

-- The analysis thresholds the coordinator (or a municipality's file) changed; a threshold without a
-- row has the program's default (coordinator_app/thresholds.py names every key, unit and source).
CREATE TABLE analysis_thresholds (
    key         TEXT PRIMARY KEY,
    value       REAL NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    changed_at  TEXT NOT NULL,
    municipal   INTEGER NOT NULL DEFAULT 0 CHECK (municipal IN (0, 1))  -- from a municipality's file
);

-- Reference figures for a work (last year's published results, typed in; later imported from
-- ФИС ОКО): one row per scope, % of each mark, % «не подтвердили», % per task.
CREATE TABLE reference_rows (
    id             INTEGER PRIMARY KEY,
    work_id        INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    scope          TEXT NOT NULL CHECK (scope IN ('russia', 'region', 'municipality')),
    year           INTEGER CHECK (year IS NULL OR year BETWEEN 2015 AND 2100),
    pct2           REAL CHECK (pct2 IS NULL OR pct2 BETWEEN 0 AND 100),
    pct3           REAL CHECK (pct3 IS NULL OR pct3 BETWEEN 0 AND 100),
    pct4           REAL CHECK (pct4 IS NULL OR pct4 BETWEEN 0 AND 100),
    pct5           REAL CHECK (pct5 IS NULL OR pct5 BETWEEN 0 AND 100),
    not_confirmed  REAL CHECK (not_confirmed IS NULL OR not_confirmed BETWEEN 0 AND 100),
    mean_pct       REAL CHECK (mean_pct IS NULL OR mean_pct BETWEEN 0 AND 100),   -- mean % of the maximum
    source         TEXT NOT NULL DEFAULT '',
    changed_at     TEXT NOT NULL,
    UNIQUE (work_id, scope)
);

CREATE TABLE reference_tasks (
    reference_id  INTEGER NOT NULL REFERENCES reference_rows(id) ON DELETE CASCADE,
    task_id       TEXT NOT NULL,
    pct           REAL NOT NULL CHECK (pct BETWEEN 0 AND 100),
    PRIMARY KEY (reference_id, task_id)
);
