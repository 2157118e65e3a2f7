"""From an uploaded byte stream to one immutable DuckDB file holding one table.

Two halves: `receive_upload` (upload.py) streams the bytes to a private staging file while
checking them, so a bad upload is refused early and never held in memory; `ingest_csv_file`
(load.py) turns a CSV on disk into a DuckDB file with DuckDB's own CSV reader, using our own
sniff (sniff.py, values.py) where DuckDB's is weak (delimiter with decimal commas, header row,
null markers), checking its type guesses against the whole file (retype.py) and its rejects
accounting for ragged rows. units.py reads money and percentages written as text ("$1,234.50",
"12 %") as numbers, keeping the unit. encoding.py reads the text encoding; refusals.py names the
limits. The word-to-value index (services/value_index.py) is written into the same file.
"""

from lumiere.services.ingest.load import IngestResult, ingest_csv_file, rename_table
from lumiere.services.ingest.upload import (
    StagedUpload,
    StreamInspector,
    detect_encoding,
    receive_upload,
    table_name_from_filename,
    validate_upload_filename,
)

__all__ = [
    "IngestResult",
    "StagedUpload",
    "StreamInspector",
    "detect_encoding",
    "ingest_csv_file",
    "receive_upload",
    "rename_table",
    "table_name_from_filename",
    "validate_upload_filename",
]
