"""Runs one export in a fresh process and reports its memory: `python -m tests.helpers.export_memory <json>`.

The argument names the dataset (`storage_key`, `table`), the SQL and the format; the data dir comes
from LUMIERE_DATA_DIR. The file goes to a sink that only counts bytes and lines, so what the report
shows is the export's own footprint: this process's peak RSS before and after, and the peak RSS of
the query worker that streamed the rows (both VmHWM, read from /proc).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


class CountingSink:
    def __init__(self) -> None:
        self.bytes = 0
        self.lines = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        self.lines += data.count(b"\r\n")
        return len(data)

    def flush(self) -> None:
        pass


def _peak_mb(pid: int | str = "self") -> float:
    """Peak RSS (VmHWM) of a live process's own memory. Not ru_maxrss: Linux carries that over from
    the parent across a vfork+exec, so a child would report its parent's peak."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc")


def main() -> None:
    spec = json.loads(sys.argv[1])
    from datetime import UTC, datetime

    from lumiere.core.enums import ExportFormat
    from lumiere.models import Source
    from lumiere.services import query_workers
    from lumiere.services.exports import ExportSubject, write_export

    source = Source(user_id=1, name=spec["table"], kind="csv", table_name=spec["table"],
                    storage_key=spec["storage_key"], tables_json=[{"name": spec["table"], "columns": []}])
    subject = ExportSubject(title="memory", question="", source=source, sql=spec["sql"], chart=None,
                            ran_at=datetime.now(UTC))
    query_workers.current_pool()  # workers started before the baseline
    before = _peak_mb()
    sink = CountingSink()
    started = time.perf_counter()
    summary = write_export(subject, ExportFormat(spec["format"]), sink)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    after = _peak_mb()
    worker = max(_peak_mb(pid) for pid in query_workers.current_pool().pids())
    query_workers.shutdown()
    print(json.dumps({
        "rows": summary.row_count, "bytes": sink.bytes, "lines": sink.lines, "seconds": seconds,
        "app_before_mb": before, "app_peak_mb": after, "worker_peak_mb": worker,
    }))


if __name__ == "__main__":
    main()
