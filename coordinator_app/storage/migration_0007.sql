-- Version 7: retention nobody can shorten (issue 11).
--
-- Every stored page and audio file carries its own keep-until date, fixed when it is stored with
-- its work: the work's date + the retention period in force then (a page waiting in
-- «Нераспознанные» has none yet and cannot be deleted; the work it is given fixes it). Nothing
-- lowers it afterwards: a later change of the work's date (only forward once scans exist), of
-- the period, or of the page's work can only lengthen it. The purge and the delete guards read
-- this date, not the work's.

ALTER TABLE scan_pages ADD COLUMN keep_until TEXT;
ALTER TABLE audio_files ADD COLUMN keep_until TEXT;

UPDATE scan_pages SET keep_until = date(
    (SELECT work_date FROM works WHERE id = scan_pages.work_id),
    '+' || COALESCE((SELECT value FROM settings WHERE key = 'retention_days'), '90') || ' days')
WHERE work_id IS NOT NULL;
UPDATE audio_files SET keep_until = date(
    COALESCE((SELECT work_date FROM works WHERE id = audio_files.work_id), substr(imported_at, 1, 10)),
    '+' || COALESCE((SELECT value FROM settings WHERE key = 'retention_days'), '90') || ' days');
CREATE INDEX scan_pages_work_keep ON scan_pages(work_id, keep_until);

-- Fixed when stored.
CREATE TRIGGER scan_pages_keep_set AFTER INSERT ON scan_pages
WHEN NEW.work_id IS NOT NULL
BEGIN
    UPDATE scan_pages SET keep_until = date(
        (SELECT work_date FROM works WHERE id = NEW.work_id),
        '+' || COALESCE((SELECT value FROM settings WHERE key = 'retention_days'), '90') || ' days')
    WHERE id = NEW.id;
END;
CREATE TRIGGER audio_files_keep_set AFTER INSERT ON audio_files
BEGIN
    UPDATE audio_files SET keep_until = date(
        COALESCE((SELECT work_date FROM works WHERE id = NEW.work_id), date('now', 'localtime')),
        '+' || COALESCE((SELECT value FROM settings WHERE key = 'retention_days'), '90') || ' days')
    WHERE id = NEW.id;
END;

-- Never lowered, never cleared.
CREATE TRIGGER scan_pages_keep_never_lowered BEFORE UPDATE OF keep_until ON scan_pages
WHEN OLD.keep_until IS NOT NULL AND (NEW.keep_until IS NULL OR NEW.keep_until < OLD.keep_until)
BEGIN SELECT RAISE(ABORT, 'retention: a page''s keep-until date is never lowered'); END;
CREATE TRIGGER audio_files_keep_never_lowered BEFORE UPDATE OF keep_until ON audio_files
WHEN OLD.keep_until IS NOT NULL AND (NEW.keep_until IS NULL OR NEW.keep_until < OLD.keep_until)
BEGIN SELECT RAISE(ABORT, 'retention: an audio file''s keep-until date is never lowered'); END;

-- A page given to a work (or moved to another) is kept at least as long as that work asks.
CREATE TRIGGER scan_pages_keep_follows_work AFTER UPDATE OF work_id ON scan_pages
WHEN NEW.work_id IS NOT NULL
BEGIN
    UPDATE scan_pages SET keep_until = max(COALESCE(keep_until, ''), date(
        (SELECT work_date FROM works WHERE id = NEW.work_id),
        '+' || COALESCE((SELECT value FROM settings WHERE key = 'retention_days'), '90') || ' days'))
    WHERE id = NEW.id;
END;

-- A work's date moves back no more once it holds scans or audio; forward, its pages follow.
CREATE TRIGGER works_date_not_back BEFORE UPDATE OF work_date ON works
WHEN NEW.work_date < OLD.work_date AND (EXISTS (SELECT 1 FROM scan_pages WHERE work_id = OLD.id)
                                        OR EXISTS (SELECT 1 FROM audio_files WHERE work_id = OLD.id))
BEGIN SELECT RAISE(ABORT, 'retention: the date of a work with scans cannot move back'); END;
CREATE TRIGGER works_date_forward_keeps AFTER UPDATE OF work_date ON works
WHEN NEW.work_date > OLD.work_date
BEGIN
    UPDATE scan_pages SET keep_until = max(COALESCE(keep_until, ''), date(NEW.work_date,
        '+' || COALESCE((SELECT value FROM settings WHERE key = 'retention_days'), '90') || ' days'))
    WHERE work_id = NEW.id;
    UPDATE audio_files SET keep_until = max(COALESCE(keep_until, ''), date(NEW.work_date,
        '+' || COALESCE((SELECT value FROM settings WHERE key = 'retention_days'), '90') || ' days'))
    WHERE work_id = NEW.id;
END;

-- The delete guards read the page's own date, whatever its work link says (a link cleared by
-- hand no longer opens the way), and a stored file goes only after its pages.
DROP TRIGGER scan_pages_retention;
CREATE TRIGGER scan_pages_retention BEFORE DELETE ON scan_pages
WHEN OLD.keep_until IS NULL OR OLD.keep_until > date('now', 'localtime')
BEGIN SELECT RAISE(ABORT, 'retention: the page is kept until its keep-until date'); END;
DROP TRIGGER audio_files_retention;
CREATE TRIGGER audio_files_retention BEFORE DELETE ON audio_files
WHEN OLD.keep_until IS NULL OR OLD.keep_until > date('now', 'localtime')
BEGIN SELECT RAISE(ABORT, 'retention: the audio is kept until its keep-until date'); END;
CREATE TRIGGER scan_files_keep_pages BEFORE DELETE ON scan_files
WHEN EXISTS (SELECT 1 FROM scan_pages WHERE file_id = OLD.id)
BEGIN SELECT RAISE(ABORT, 'retention: a stored file goes only after its pages'); END;
