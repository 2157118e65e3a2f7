"""Receiving an upload: the file name checked, the bytes streamed to a private staging file while
they are checked (size limit, magic numbers, NUL and control bytes, UTF-8 validity), so a bad
upload is refused early and never held in memory."""

from __future__ import annotations

import codecs
import os
import re
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from lumiere.config import get_settings
from lumiere.core.errors import BadRequest, StorageFull, TooLarge, UnsupportedMedia
from lumiere.services.ingest.encoding import COPY_CHUNK, bom_encoding
from lumiere.storage.datasets import is_disk_full, new_temp_path

ACCEPTED_EXTENSIONS = (".csv", ".tsv", ".txt")
MAX_FILENAME_CHARS = 255
HEAD_CHECK_BYTES = 64 * 1024  # magic numbers and control characters are judged on this much
TABLE_NAME_CHARS = 60

# (offset, signature, what it is): formats that are not CSV text whatever the file is called.
MAGIC_NUMBERS: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x1f\x8b", "a gzip archive"),
    (0, b"PK\x03\x04", "a zip archive (or an Excel .xlsx file)"),
    (0, b"PK\x05\x06", "a zip archive"),
    (0, b"PK\x07\x08", "a zip archive"),
    (0, b"PAR1", "a Parquet file"),
    (8, b"DUCK", "a DuckDB database"),
    (0, b"SQLite format 3\x00", "an SQLite database"),
    (0, b"\x7fELF", "an executable program"),
    (0, b"MZ", "a Windows executable"),
    (0, b"\xca\xfe\xba\xbe", "an executable program"),
    (0, b"\xcf\xfa\xed\xfe", "an executable program"),
    (0, b"\xfe\xed\xfa\xcf", "an executable program"),
    (0, b"#!", "a script"),
    (0, b"%PDF", "a PDF document"),
    (0, b"\x89PNG", "a PNG image"),
    (0, b"\xff\xd8\xff", "a JPEG image"),
    (0, b"GIF8", "a GIF image"),
    (0, b"BM", "a bitmap image"),
    (0, b"RIFF", "a media file"),
    (0, b"BZh", "a bzip2 archive"),
    (0, b"\xfd7zXZ\x00", "an xz archive"),
    (0, b"(\xb5/\xfd", "a zstd archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (0, b"Rar!\x1a\x07", "a RAR archive"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document (.xls/.doc)"),
    (0, b"ARROW1", "an Arrow file"),
    (0, b"Obj\x01", "an Avro file"),
    (0, b"ORC", "an ORC file"),
    (257, b"ustar", "a tar archive"),
)

# Control characters that never appear in text, as a share of the head: above this, it is binary.
BINARY_CONTROL_SHARE = 0.01
_TEXT_CONTROLS = {0x09, 0x0A, 0x0C, 0x0D, 0x1A, 0x1B}
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in _TEXT_CONTROLS) + b"\x7f"


def validate_upload_filename(filename: object) -> str:
    """The file name as given, refused when it could name a path or is not a CSV-like file."""
    if not isinstance(filename, str) or not filename.strip():
        raise BadRequest("The upload has no file name; send the file as the multipart field `file`.")
    if "\x00" in filename or "/" in filename or "\\" in filename:
        raise BadRequest("The file name may not contain path separators or NUL characters.")
    if any(unicodedata.category(char) == "Cc" for char in filename):
        raise BadRequest("The file name may not contain control characters.")
    name = filename.strip()
    if name in (".", "..") or len(name) > MAX_FILENAME_CHARS:
        raise BadRequest(f"Use a file name of 1 to {MAX_FILENAME_CHARS} characters.")
    if not name.lower().endswith(ACCEPTED_EXTENSIONS):
        raise UnsupportedMedia(
            "Only CSV text files can be uploaded: use a name ending in .csv, .tsv or .txt "
            "(export spreadsheets as CSV first)."
        )
    return name


def table_name_from_filename(filename: str) -> str:
    """A plain SQL identifier from a file name: tips.csv -> tips, 'Sales 2024 (EU).csv' -> sales_2024_eu."""
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^a-z0-9]+", "_", ascii_stem.lower()).strip("_")
    if not name:
        name = "data"
    if name[0].isdigit():
        name = f"t_{name}"
    return name[:TABLE_NAME_CHARS].rstrip("_")


@dataclass
class StagedUpload:
    """An upload written to the private staging folder, checked but not yet ingested."""

    path: Path
    filename: str
    size_bytes: int
    encoding: str

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def refuse_non_text_head(head: bytes, *, utf16: bool = False) -> None:
    """Refuse archives, databases, executables, images and other binary content by its first bytes."""
    for offset, signature, what in MAGIC_NUMBERS:
        if head[offset : offset + len(signature)] == signature:
            raise UnsupportedMedia(
                f"This file is {what}, not CSV text. Upload an uncompressed .csv, .tsv or .txt file."
            )
    if utf16:
        return
    if b"\x00" in head:
        raise UnsupportedMedia("This file contains binary data (NUL bytes), not CSV text.")
    sample = head[:HEAD_CHECK_BYTES]
    if sample and len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > BINARY_CONTROL_SHARE * len(sample):
        raise UnsupportedMedia("This file contains binary data (control characters), not CSV text.")


class StreamInspector:
    """Checks an upload chunk by chunk: size limit, binary content, and whether it is valid UTF-8."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.head = b""
        self.head_checked = False
        self.bom_encoding: str | None = None
        self.utf8_valid = True
        self._utf8 = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(
                f"The file is larger than the upload limit of {self.max_bytes // (1024 * 1024)} MB. "
                "Upload a smaller file or connect the database it comes from."
            )
        if not self.head_checked:
            self.head += chunk
            if len(self.head) >= HEAD_CHECK_BYTES:
                self._check_head()
            return
        self._check_body(chunk)

    def finish(self) -> str:
        """The encoding the bytes are in; refuses an empty upload."""
        if not self.head_checked:
            self._check_head()
        if self.bom_encoding is None and self.utf8_valid:
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                self.utf8_valid = False
        if self.size == 0:
            raise BadRequest("The file is empty: upload a CSV file with a header row and at least one data row.")
        if self.bom_encoding:
            return self.bom_encoding
        return "utf-8" if self.utf8_valid else "cp1252"

    def _check_head(self) -> None:
        head, self.head, self.head_checked = self.head, b"", True
        self.bom_encoding = bom_encoding(head)
        refuse_non_text_head(head, utf16=self.bom_encoding in ("utf-16-le", "utf-16-be"))
        self._check_body(head)

    def _check_body(self, chunk: bytes) -> None:
        if self.bom_encoding in ("utf-16-le", "utf-16-be"):
            return
        if b"\x00" in chunk:
            raise UnsupportedMedia("This file contains binary data (NUL bytes), not CSV text.")
        if self.utf8_valid and not (chunk.isascii() and not self._utf8.getstate()[0]):
            try:
                self._utf8.decode(chunk)
            except UnicodeDecodeError:
                self.utf8_valid = False


async def receive_upload(filename: str, chunks: AsyncIterator[bytes]) -> StagedUpload:
    """Stream an upload to a private staging file, refusing it as soon as something is wrong.

    Nothing stays behind on a refusal: the partial file is deleted before the error propagates.
    """
    settings = get_settings()
    name = validate_upload_filename(filename)
    inspector = StreamInspector(settings.max_upload_bytes)
    path = new_temp_path(".upload")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                if chunk:
                    inspector.feed(chunk)
                    out.write(chunk)
        encoding = inspector.finish()
    except BaseException as error:
        path.unlink(missing_ok=True)
        if is_disk_full(error):
            raise StorageFull from None
        raise
    return StagedUpload(path=path, filename=name, size_bytes=inspector.size, encoding=encoding)


def detect_encoding(path: Path) -> str:
    """The encoding of a CSV already on disk, with the same checks an upload gets."""
    inspector = StreamInspector(max_bytes=1 << 62)
    with path.open("rb") as source:
        while chunk := source.read(COPY_CHUNK):
            inspector.feed(chunk)
    return inspector.finish()
