"""`python -m coordinator_app COMMAND`: the command line only (the GUI starts via `python -m ui`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
