"""Pure readers and writers of the files the program reads and writes, grouped by file format: no store, no use-case."""
