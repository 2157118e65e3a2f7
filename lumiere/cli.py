"""Operator commands: `python -m lumiere.cli migrate`, `python -m lumiere.cli worker`."""

from __future__ import annotations

import argparse
import logging

from lumiere.config import get_settings
from lumiere.db import migrate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="lumiere", description="Lumiere operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations up to the latest revision")
    commands.add_parser(
        "worker",
        help="run a job worker (scheduled runs, emails, large exports) until SIGINT/SIGTERM; with "
             "LUMIERE_REDIS_URL set, any number of them share the work",
    )
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
        print("lumiere: database is up to date")
    elif args.command == "worker":
        from lumiere.jobs import run_worker  # the queue and the services only for this command

        logging.basicConfig(level=get_settings().log_level.upper(),
                            format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s")
        migrate()
        run_worker()


if __name__ == "__main__":
    main()
