"""The result set, which now lives in `lumiere.core.resultset` so that libraries below the
services (charts) can read it; this path stays importable for the code that uses it."""

from lumiere.core.resultset import ColumnKind, ResultColumn, ResultSet

__all__ = ["ColumnKind", "ResultColumn", "ResultSet"]
