# ВПР-Координатор: developer entry points. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test dist bench clean windows-check

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --upgrade pip >/dev/null
	$(PY) -m pip install -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m ui

# The linter first (pyproject.toml [tool.ruff]: pyflakes, bugbear, pyupgrade, naming, import order,
# complexity 15), then the suite.
test: $(STAMP)
	$(PY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

dist: $(STAMP)
	$(PY) -m pip install -e ".[dist]"
	$(PY) -m PyInstaller --noconfirm --clean pyinstaller.spec
	QT_QPA_PLATFORM=offscreen $(PY) packaging/check_dist.py dist/vpr-coordinator

# The whole suite and the frozen program under Wine with Windows CPython (docs/packaging.md).
windows-check:
	bash packaging/windows_check.sh .

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) bench/run_all.py

clean:
	rm -rf build dist .pytest_cache
