"""`make run` and `make serve`: Reflex's own command line, with Granian restarting a backend that dies.

Reflex builds its production server (Granian) with fixed arguments, none of which asks Granian to
start a worker process again after it exits unexpectedly; so one backend killed by the kernel's
out-of-memory killer or a crash in native code stopped the whole `make serve`. Granian can respawn
failed workers itself (and stops on a crash loop: the same worker dying within seconds of its
restart), so this entry point hands Reflex a Granian server with that switched on and is otherwise
`reflex` itself: `python -m lumiere.launch run --env prod …`.
"""

from __future__ import annotations

import sys
from typing import Any

import granian.server


class RespawningServer(granian.server.Server):  # type: ignore[misc,valid-type]
    """Granian's server with `respawn_failed_workers` on unless the caller says otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("respawn_failed_workers", True)
        super().__init__(*args, **kwargs)


def main() -> int:
    # Reflex imports `granian.server.Server` when it starts the backend, so the subclass is what it gets.
    granian.server.Server = RespawningServer
    from reflex.reflex import cli

    sys.argv[0] = "reflex"
    return int(cli() or 0)


if __name__ == "__main__":
    sys.exit(main())
