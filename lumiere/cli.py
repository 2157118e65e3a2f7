"""Operator commands: `python -m lumiere.cli migrate`."""

from __future__ import annotations

import argparse

from lumiere.db import migrate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="lumiere", description="Lumiere operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations up to the latest revision")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
        print("lumiere: database is up to date")


if __name__ == "__main__":
    main()
