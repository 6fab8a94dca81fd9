-- Version 5: how many pages one participant's work has (the scans import uses it so that pages
-- after a title page without a readable label are never added to the previous participant).
-- NULL: not set; the import then learns it from the batch's first labelled works.
ALTER TABLE works ADD COLUMN pages_per_work INTEGER
    CHECK (pages_per_work IS NULL OR (pages_per_work BETWEEN 1 AND 50));
