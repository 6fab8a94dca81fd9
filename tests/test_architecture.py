"""The shape of the code: the domain never loads Qt (importing every module of coordinator_app, and
running the CLI); the GUI shows messages through one seam, takes its colours from one module and runs
its changes one way."""

from __future__ import annotations

import ast
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import coordinator_app

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "VPR_COORDINATOR_DATA": str(tmp_path / "d")})


def test_importing_every_domain_module_loads_no_qt(tmp_path: Path) -> None:
    names = [m.name for m in pkgutil.walk_packages(coordinator_app.__path__, "coordinator_app.")
             if not m.name.endswith("__main__")]
    assert "coordinator_app.storage" in names and "coordinator_app.cli" in names
    code = ("import importlib, sys\n"
            f"for n in {names!r}: importlib.import_module(n)\n"
            "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'ui')))\n"
            "print('QT:', bad)\n")
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "QT: []" in result.stdout


def test_cli_commands_run_without_qt(tmp_path: Path) -> None:
    code = ("import sys\nfrom coordinator_app.cli import main\n"
            "rc = main(['init', '--school', 'Школа', '--login', 'sch123456'])\n"
            "rc |= main(['list', 'classes'])\n"
            "print('RC', rc, 'QT', any(m.startswith('PySide6') for m in sys.modules))\n")
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "RC 0 QT False" in result.stdout


def test_domain_sources_do_not_import_ui_or_qt() -> None:
    offenders = []
    for path in (ROOT / "coordinator_app").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(("import PySide6", "from PySide6", "import ui", "from ui")):
                offenders.append(f"{path.name}: {stripped}")
    assert offenders == []


# -- the GUI's seams ------------------------------------------------------------------------------

#: GUI modules not converted yet to `ui/style.py` and `ui.ops.ChangeOp` (being split by another
#: change); the list only shrinks.
_COLOUR_RE = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?\b|QColor\(\s*[\"']")


def _gui_sources() -> dict[str, str]:
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted((ROOT / "ui").rglob("*.py"))}


def test_message_boxes_are_shown_only_through_ui_messages() -> None:
    """One seam for every message box: tests record them there, so none can wait on a modal box."""
    offenders = [name for name, text in _gui_sources().items()
                 if "QMessageBox" in text and name != "ui/messages.py"]
    assert offenders == []


def test_colours_live_in_ui_style() -> None:
    offenders = [f"{name}: {match.group(0)}" for name, text in _gui_sources().items()
                 if name != "ui/style.py" for match in _COLOUR_RE.finditer(text)]
    assert offenders == []


def test_pages_run_use_cases_through_change_op() -> None:
    """No page or dialog drives the task runner itself: `ChangeOp` shows the errors and publishes."""
    offenders = [name for name, text in _gui_sources().items()
                 if "tasks.run(" in text and name not in {"ui/ops.py", "ui/tasks.py"}]
    assert offenders == []


# Files and the stick are pure: a reader or writer of a file format, or the stick's write path,
# never reaches the store or a use-case (the use-cases call them, not the other way round).
PURE_PACKAGES = ("formats", "media", "analysis")
PURE_MAY_IMPORT = {"coordinator_app", "coordinator_app.errors", "coordinator_app.words", "coordinator_app.resources",
                   "coordinator_app.fsutil", "coordinator_app.qr_payload", "coordinator_app.names",
                   "coordinator_app.catalogue"}


def _runtime_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    """The project modules and names `source` (the module `module`) imports at run time, that is
    not under `if TYPE_CHECKING:`, as absolute dotted names."""
    package = module if is_package else module.rpartition(".")[0]
    tree = ast.parse(source)
    hidden = {id(node) for guard in ast.walk(tree)
              if isinstance(guard, ast.If) and "TYPE_CHECKING" in ast.unparse(guard.test)
              for node in ast.walk(guard)}
    found: list[str] = []
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return [name for name in found if name.split(".")[0] == "coordinator_app"]


def _allowed(name: str) -> bool:
    if any(name == f"coordinator_app.{p}" or name.startswith(f"coordinator_app.{p}.") for p in PURE_PACKAGES):
        return True
    if name in PURE_MAY_IMPORT or name.rpartition(".")[0] in PURE_MAY_IMPORT - {"coordinator_app"}:
        return True
    owner, _, last = name.rpartition(".")
    return owner == "coordinator_app" and last.isupper()        # `from coordinator_app import APP_TITLE`


def _pure_modules() -> list[tuple[Path, str]]:
    found = []
    for package in PURE_PACKAGES:
        for path in sorted((ROOT / "coordinator_app" / package).rglob("*.py")):
            found.append((path, ".".join(path.relative_to(ROOT).with_suffix("").parts)))
    return found


def test_formats_and_media_never_import_the_store_or_a_use_case() -> None:
    offenders = [f"{path.relative_to(ROOT)}: {name}" for path, module in _pure_modules()
                 for name in _runtime_imports(path.read_text(encoding="utf-8"), module.removesuffix(".__init__"),
                                              path.name == "__init__.py")
                 if not _allowed(name)]
    assert _pure_modules() and offenders == []


def test_the_import_rule_catches_a_store_or_use_case_import() -> None:
    """The rule is not blind: relative, absolute and from-package imports of the store or a
    use-case are caught; the same import for type checking only is not."""
    source = ("from typing import TYPE_CHECKING\n"
              "from ..storage import Store\n"
              "from coordinator_app import works\n"
              "import coordinator_app.scoring\n"
              "from ..errors import UserError\n"
              "if TYPE_CHECKING:\n    from ..codes import Participant\n")
    names = _runtime_imports(source, "coordinator_app.formats.example")
    assert [n for n in names if not _allowed(n)] == ["coordinator_app.storage", "coordinator_app.storage.Store",
                                                      "coordinator_app.works", "coordinator_app.scoring"]
