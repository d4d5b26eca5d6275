"""`python -m image360_server` runs the same entry point as the console script."""

import sys

from image360_server.cli import main

sys.exit(main())
