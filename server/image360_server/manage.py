"""`image360-server-manage [--data-dir DIR] COMMAND`: Django management on a data folder.

For example `image360-server-manage --data-dir DIR adduser alice --password-stdin`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from image360_server import env


def main(argv: Sequence[str] | None = None) -> None:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--data-dir")
    known, rest = pre.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    if known.data_dir:
        os.environ[env.DATA_DIR] = os.path.abspath(os.path.expanduser(known.data_dir))
    os.environ["DJANGO_SETTINGS_MODULE"] = "image360_server.settings"

    from django.core.management import execute_from_command_line

    execute_from_command_line(["image360-server-manage", *rest])


if __name__ == "__main__":
    main()
