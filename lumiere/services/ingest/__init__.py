"""From an uploaded byte stream to one immutable DuckDB file holding one table.

Two halves: `receive_upload` (upload.py) streams the bytes to a private staging file while
checking them, so a bad upload is refused early and never held in memory; `ingest_csv_file`
(load.py) turns a CSV on disk into a DuckDB file with DuckDB's own CSV reader, using our own
sniff (sniff.py, values.py) where DuckDB's is weak (delimiter with decimal commas, header row,
null markers), checking its type guesses against the whole file (retype.py) and its rejects
accounting for ragged rows. encoding.py reads the text encoding; refusals.py names the limits.
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
