"""Where bundled files live: the source checkout or the PyInstaller bundle.

`resources/` and `db_schema.sql` sit at the top of the repository; PyInstaller copies them to
the bundle root (`sys._MEIPASS`), so one lookup serves both.
"""

from __future__ import annotations

import sys
from pathlib import Path


def app_root() -> Path:
    """The folder holding `resources/` and `db_schema.sql`."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. `resource_path("fonts", "DejaVuSans.ttf")`."""
    return app_root().joinpath("resources", *parts)


def schema_path() -> Path:
    return app_root() / "db_schema.sql"
