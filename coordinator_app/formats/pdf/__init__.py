"""The PDFs the program prints: protocol, code slips, QR labels, re-check protocol, cover letter,
purge act. Each writer takes plain data (its own dataclasses and `common.WorkHeader`), never the
store, and writes its file atomically; `common` holds the fonts, styles and page furniture they share.
"""
