-- 12: a closed school year is read-only (issue 15). Its works' participants and scores refuse any
-- change, whoever writes: the use-cases check first (`school_years.require_open`, a Russian
-- message); these triggers are the last line against a direct write. A work's school year runs
-- from September to August (`school_years.academic_year_of`). The message is translated by the
-- store (`storage.CLOSED_YEAR`).

CREATE TRIGGER participants_closed_year_insert BEFORE INSERT ON participants
WHEN EXISTS (SELECT 1 FROM works w JOIN school_years y ON y.closed_at IS NOT NULL AND y.year = (CASE WHEN CAST(substr(w.work_date, 6, 2) AS INTEGER) >= 9 THEN substr(w.work_date, 1, 4) || '/' || (CAST(substr(w.work_date, 1, 4) AS INTEGER) + 1) ELSE (CAST(substr(w.work_date, 1, 4) AS INTEGER) - 1) || '/' || substr(w.work_date, 1, 4) END)
             WHERE w.id = NEW.work_id)
BEGIN
    SELECT RAISE(ABORT, 'closed school year: read-only');
END;

CREATE TRIGGER participants_closed_year_update BEFORE UPDATE ON participants
WHEN EXISTS (SELECT 1 FROM works w JOIN school_years y ON y.closed_at IS NOT NULL AND y.year = (CASE WHEN CAST(substr(w.work_date, 6, 2) AS INTEGER) >= 9 THEN substr(w.work_date, 1, 4) || '/' || (CAST(substr(w.work_date, 1, 4) AS INTEGER) + 1) ELSE (CAST(substr(w.work_date, 1, 4) AS INTEGER) - 1) || '/' || substr(w.work_date, 1, 4) END)
             WHERE w.id = NEW.work_id)
BEGIN
    SELECT RAISE(ABORT, 'closed school year: read-only');
END;

CREATE TRIGGER participants_closed_year_delete BEFORE DELETE ON participants
WHEN EXISTS (SELECT 1 FROM works w JOIN school_years y ON y.closed_at IS NOT NULL AND y.year = (CASE WHEN CAST(substr(w.work_date, 6, 2) AS INTEGER) >= 9 THEN substr(w.work_date, 1, 4) || '/' || (CAST(substr(w.work_date, 1, 4) AS INTEGER) + 1) ELSE (CAST(substr(w.work_date, 1, 4) AS INTEGER) - 1) || '/' || substr(w.work_date, 1, 4) END)
             WHERE w.id = OLD.work_id)
BEGIN
    SELECT RAISE(ABORT, 'closed school year: read-only');
END;

CREATE TRIGGER scores_closed_year_insert BEFORE INSERT ON scores
WHEN EXISTS (SELECT 1 FROM works w JOIN school_years y ON y.closed_at IS NOT NULL AND y.year = (CASE WHEN CAST(substr(w.work_date, 6, 2) AS INTEGER) >= 9 THEN substr(w.work_date, 1, 4) || '/' || (CAST(substr(w.work_date, 1, 4) AS INTEGER) + 1) ELSE (CAST(substr(w.work_date, 1, 4) AS INTEGER) - 1) || '/' || substr(w.work_date, 1, 4) END)
             WHERE w.id = (SELECT work_id FROM participants WHERE id = NEW.participant_id))
BEGIN
    SELECT RAISE(ABORT, 'closed school year: read-only');
END;

CREATE TRIGGER scores_closed_year_update BEFORE UPDATE ON scores
WHEN EXISTS (SELECT 1 FROM works w JOIN school_years y ON y.closed_at IS NOT NULL AND y.year = (CASE WHEN CAST(substr(w.work_date, 6, 2) AS INTEGER) >= 9 THEN substr(w.work_date, 1, 4) || '/' || (CAST(substr(w.work_date, 1, 4) AS INTEGER) + 1) ELSE (CAST(substr(w.work_date, 1, 4) AS INTEGER) - 1) || '/' || substr(w.work_date, 1, 4) END)
             WHERE w.id = (SELECT work_id FROM participants WHERE id = NEW.participant_id))
BEGIN
    SELECT RAISE(ABORT, 'closed school year: read-only');
END;

CREATE TRIGGER scores_closed_year_delete BEFORE DELETE ON scores
WHEN EXISTS (SELECT 1 FROM works w JOIN school_years y ON y.closed_at IS NOT NULL AND y.year = (CASE WHEN CAST(substr(w.work_date, 6, 2) AS INTEGER) >= 9 THEN substr(w.work_date, 1, 4) || '/' || (CAST(substr(w.work_date, 1, 4) AS INTEGER) + 1) ELSE (CAST(substr(w.work_date, 1, 4) AS INTEGER) - 1) || '/' || substr(w.work_date, 1, 4) END)
             WHERE w.id = (SELECT work_id FROM participants WHERE id = OLD.participant_id))
BEGIN
    SELECT RAISE(ABORT, 'closed school year: read-only');
END;

-- Once closed, a year stays closed.
CREATE TRIGGER school_years_stay_closed BEFORE UPDATE OF closed_at ON school_years
WHEN OLD.closed_at IS NOT NULL AND (NEW.closed_at IS NULL OR NEW.closed_at <> OLD.closed_at)
BEGIN
    SELECT RAISE(ABORT, 'closed school year: read-only');
END;
CREATE TRIGGER school_years_no_delete BEFORE DELETE ON school_years
WHEN OLD.closed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'closed school year: read-only');
END;

-- The school year whose class lists last named the pupil: in a new year, the pupils no new list has
-- named yet are the ones to confirm as left (`school_years.carried_over`).
ALTER TABLE students ADD COLUMN listed_year TEXT;
UPDATE students SET listed_year = (SELECT academic_year FROM school WHERE id = 1);
