"""The Qt binding must not leak references to None/True/False.

PySide6 6.12.0 on Python < 3.12 lost one reference to None on every call of a void Qt method
(setEnabled, setText, processEvents …); after some hundred thousand calls — an afternoon of work —
the interpreter aborts with "none_dealloc". pyproject.toml keeps that release out; this test
catches any binding release with the same defect.
"""

from __future__ import annotations

import sys


def test_void_qt_calls_keep_none_and_bools_alive(qapp) -> None:
    from PySide6.QtWidgets import QLabel, QPushButton

    button, label = QPushButton("x"), QLabel()
    before = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    for _ in range(20000):
        button.setEnabled(True)
        label.setText("a")
        button.isEnabled()
        qapp.processEvents()
    after = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    drift = [abs(a - b) for a, b in zip(after, before)]
    assert max(drift) < 1000, f"reference drift {drift}: this PySide6 build leaks references"
