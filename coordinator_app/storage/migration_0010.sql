-- 10: the second check's sample in labelled parts (issue 14). A random part — at least 1 % of the
-- works (seed 004 §6.4) — is what the agreement figures are computed on; targeted parts (works at a
-- flagged mark boundary, journal gaps of 2 marks or more, unlikely answer patterns) and works named
-- by code are re-checked too and reported apart, never mixed into the random part's figures.
ALTER TABLE second_check_items ADD COLUMN stratum TEXT NOT NULL DEFAULT 'named'
    CHECK (stratum IN ('random', 'named', 'boundary', 'journal_gap', 'guttman'));

-- Samples made before: a check with a share drew its works at random (codes added by hand to such a
-- check cannot be told apart any more and count with them, as they did).
UPDATE second_check_items SET stratum = 'random'
    WHERE check_id IN (SELECT id FROM second_checks WHERE share IS NOT NULL);
