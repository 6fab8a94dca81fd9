"""`python -m coordinator_app`: the same entry point as the `vpr-coordinator` script."""

import sys

from .cli import main

sys.exit(main())
