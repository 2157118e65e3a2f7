"""The query workers' wire format: frames of a 4-byte big-endian length and a UTF-8 JSON object.

JSON carries only data, so nothing a worker sends can run code in the app (no pickle).
"""

from __future__ import annotations

import json
import struct
from enum import StrEnum
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 2**31 - 1


class Failure(StrEnum):
    """Why a worker did not return rows (its message says the details)."""

    OPEN_FAILED = "open_failed"  # the dataset file could not be attached
    REFUSED = "refused"  # not a single SELECT, or its plan reads something other than the user's tables
    INTERRUPTED = "interrupted"  # the parent asked it to stop (deadline)
    OUT_OF_MEMORY = "out_of_memory"
    FAILED = "failed"  # DuckDB refused or failed the SQL itself
    TOO_BIG = "too_big"  # the result is larger than allowed


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return HEADER.pack(len(body)) + body


def encode_json_text(text: str) -> bytes:
    """A frame of JSON text built elsewhere (a worker's batch of rows that DuckDB wrote as JSON)."""
    body = text.encode("utf-8")
    return HEADER.pack(len(body)) + body


def _no_number(_constant: str) -> None:
    """NaN and infinities (DuckDB's JSON writes them) have no JSON value: they arrive as null."""


def decode(body: bytes) -> dict[str, Any]:
    message = json.loads(body, parse_constant=_no_number)
    if not isinstance(message, dict):
        raise TypeError("a frame must hold a JSON object")
    return message


def read_frame(stream: BinaryIO) -> dict[str, Any] | None:
    """The next message, or None at the end of the stream."""
    header = _read_exactly(stream, HEADER.size)
    if header is None:
        return None
    body = _read_exactly(stream, HEADER.unpack(header)[0])
    if body is None:
        return None
    return decode(body)


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
