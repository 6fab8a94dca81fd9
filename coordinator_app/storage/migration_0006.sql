-- Version 6: a pupil's date of birth (ISO, from the pupil list's «Дата рождения»), kept to tell
-- namesakes of one class apart in the protocol, the code slips and every picker.
ALTER TABLE students ADD COLUMN birth_date TEXT
    CHECK (birth_date IS NULL OR birth_date GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]');
