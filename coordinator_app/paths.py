"""Where the data dir is: `--data-dir`, else $VPR_COORDINATOR_DATA, else the platform default."""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA_DIR = "VPR_COORDINATOR_DATA"


def default_data_dir() -> Path:
    import platformdirs  # start-up

    return Path(platformdirs.user_data_dir("vpr-coordinator", appauthor=False, roaming=False))


def resolve_data_dir(cli_value: str | os.PathLike[str] | None = None) -> Path:
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()
