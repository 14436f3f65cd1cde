"""The ``civicgrid`` console command: a thin wrapper over Django's management commands.

``civicgrid import-regions FILE`` runs the ``import_regions`` command; ``civicgrid manage X`` runs
any management command ``X`` as ``manage.py X`` would.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(
            "usage: civicgrid COMMAND [options]\n\n"
            "commands:\n"
            "  serve            serve the site on 127.0.0.1:8000 with a background worker\n"
            "  worker           run background work (deadline sweeps, notifications)\n"
            "  demo             build the demo city and serve it (--no-serve to only build)\n"
            "  import-regions   import regions and grids from GeoJSON or CSV\n"
            "  route            route a point to its grid: civicgrid route LON LAT [--crs gcj02]\n"
            "  deadline         compute a due time on the working calendar\n"
            "  manage ...       any Django management command (migrate, createadmins, ...)\n"
        )
        return
    if args[0] == "manage":
        args = args[1:]
    else:
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["civicgrid", *args])


if __name__ == "__main__":
    main()
