"""Printable and exchange documents: PDFs (protocol, code slips, QR labels) and export files.

Every module here is Qt-free and writes its output through `coordinator_app.fsutil.atomic_writer`.
"""
