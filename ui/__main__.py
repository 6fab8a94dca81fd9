"""`python -m ui`: the full program (GUI without a command, CLI with one)."""

import sys

from .launcher import main

if __name__ == "__main__":
    sys.exit(main())
