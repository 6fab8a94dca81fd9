"""Readers of files coming into the program: ФИС ОКО forms, pupil lists, results."""
