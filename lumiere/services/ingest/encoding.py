"""The text encoding of a CSV file, and rewriting a CP-1252 or UTF-16 file as UTF-8 for DuckDB."""

from __future__ import annotations

import codecs
from pathlib import Path

COPY_CHUNK = 4 * 1024 * 1024

ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (with BOM)", "cp1252": "Windows-1252 / Latin-1",
                  "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}


def bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    return None


def _cp1252_table() -> str:
    """CP-1252 with its five undefined bytes read as Latin-1, so every byte string decodes."""
    chars = []
    for byte in range(256):
        try:
            chars.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(byte))
    return "".join(chars)


_CP1252 = _cp1252_table()


def transcode_to_utf8(source: Path, target: Path, encoding: str) -> None:
    """Rewrite a CP-1252 or UTF-16 file as UTF-8, chunk by chunk."""
    if encoding == "cp1252":
        with source.open("rb") as src, target.open("wb") as out:
            while chunk := src.read(COPY_CHUNK):
                out.write(codecs.charmap_decode(chunk, "strict", _CP1252)[0].encode("utf-8"))
        return
    decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
    with source.open("rb") as src, target.open("wb") as out:
        while chunk := src.read(COPY_CHUNK):
            out.write(decoder.decode(chunk).encode("utf-8"))
        out.write(decoder.decode(b"", final=True).encode("utf-8"))
