"""Entry point of the frozen thetadesk (both thetadesk and thetadesk-cli).

The same `thetadesk.cli:main` as the pip-installed `thetadesk` command: no arguments opens the
window, subcommands (check, upload, list, delete) and `--self-test` run in the terminal.
"""

from thetadesk.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
