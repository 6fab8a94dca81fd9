"""Scanned works: import, immutable storage, matching pages to participants, retention.

Modules:
    filestore  content-addressed storage of originals, page images and thumbnails
    decode     turning an input file (JPEG, PNG, TIFF, BMP, PDF) into page images
    qr         finding the label QR codes on a page
    worker     the per-file processing run in worker processes (hash, pages, thumbnails, QR)
    importer   the batch import: one at a time, each file's rows in one transaction, the report
    plan       planning a batch: files in order, duplicates, kinds, pages, stored originals, tasks
    pipeline   running the tasks in worker processes (a dead worker rejects only its file)
    matcher    where each page goes: label, file name, following a title page, or the queue
    pages      queries and manual edits: assign, mark blank/extra, rotate, reorder
    retention  keeping works for N days, and the purge with its act
    audio      audio files of the oral part of foreign-language works
    leftovers  what an interrupted import left: named by `verify`, removed at the next start
"""
