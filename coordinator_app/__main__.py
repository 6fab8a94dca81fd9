"""`python -m coordinator_app COMMAND`: the command line only (the GUI starts via `python -m ui`)."""

import sys

from .cli import main

sys.exit(main())
