"""PyInstaller entry script: the frozen `vpr-coordinator` runs what the console script runs.

`ui.launcher.main` is `coordinator_app.cli.main` with the GUI launcher plugged in: a command runs
the CLI (Qt is never imported), no command opens the window. Kept outside the packages so
PyInstaller treats it as `__main__` while `coordinator_app` and `ui` stay ordinary packages.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    # The scans import decodes pages in a "spawn" process pool. A frozen program has no
    # interpreter to spawn: the workers (and multiprocessing's resource tracker) are this same
    # executable started with special arguments. freeze_support() (with PyInstaller's runtime
    # hook, on every platform) runs them and exits here, before our argparse ever sees those
    # arguments. Must come first.
    multiprocessing.freeze_support()

    from ui.launcher import main

    sys.exit(main())
