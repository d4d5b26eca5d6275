"""Entry point of the frozen thetadesk (both thetadesk and thetadesk-cli).

The same `thetadesk.cli:main` as the pip-installed `thetadesk` command: no arguments opens the
window, subcommands (check, upload, list, delete) and `--self-test` run in the terminal.
"""

import multiprocessing

from thetadesk.cli import main

if __name__ == "__main__":
    # The window checks files in worker processes (thetadesk.core.check_pool), which a
    # frozen build starts by running itself again: this line turns such a run into the
    # worker instead of a second app.
    multiprocessing.freeze_support()
    raise SystemExit(main())
