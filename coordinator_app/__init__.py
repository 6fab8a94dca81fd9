"""ВПР-Координатор domain package: storage, imports, exports and use-cases, with no Qt.

The GUI (`ui/`) and the command line (`coordinator_app.cli`) are two faces over the functions here.
"""

__version__ = "0.1.0"
APP_NAME = "vpr-coordinator"
APP_TITLE = "ВПР-Координатор"
