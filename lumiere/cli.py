"""Operator commands: `python -m lumiere.cli migrate`, `make-admin EMAIL`, `worker`."""

from __future__ import annotations

import argparse
import logging
import sys

from lumiere.config import get_settings
from lumiere.core.errors import NotFound
from lumiere.db import migrate, session_scope
from lumiere.services.admin_users import make_admin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lumiere", description="Lumiere operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations up to the latest revision")
    promote = commands.add_parser(
        "make-admin", help="make an existing account an administrator (and enable it if it was disabled)"
    )
    promote.add_argument("email", help="the account's email address")
    commands.add_parser(
        "worker",
        help="run a job worker (scheduled runs, emails, large exports) until SIGINT/SIGTERM; with "
             "LUMIERE_REDIS_URL set, any number of them share the work",
    )
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
        print("lumiere: database is up to date")
        return 0
    if args.command == "worker":
        from lumiere.jobs import run_worker  # the queue and the services only for this command

        logging.basicConfig(level=get_settings().log_level.upper(),
                            format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s")
        migrate()
        run_worker()
        return 0
    migrate()  # the account table must exist before it can be read
    try:
        with session_scope() as session:
            user = make_admin(session, args.email)
            email = user.email
    except NotFound as error:
        print(f"lumiere: {error.detail}", file=sys.stderr)
        return 1
    print(f"lumiere: {email} is now an administrator")
    return 0


if __name__ == "__main__":
    sys.exit(main())
