"""Prompt templates: plain-text files in prompts/ with named `{placeholders}`.

Rendering is a single pass over the parsed template, so a value is inserted verbatim and never
parsed again: braces inside column names, sample values or questions cannot break the template
or pull in another placeholder. `{{` and `}}` write literal braces, as in `str.format`.
Untrusted text goes through `as_data` so that it cannot close the `<data>` section it sits in.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lumiere.config import PROJECT_ROOT

PROMPTS_DIR = PROJECT_ROOT / "prompts"

_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
_PLACEHOLDER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A section delimiter in a template is `<data ...>` / `</data>`; data must never produce one.
_DELIMITER_RE = re.compile(r"<(?=\s*/?\s*data)", re.IGNORECASE)


class PromptTemplateError(ValueError):
    """A template that cannot be loaded, or values that do not fit its placeholders."""


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    pieces: tuple[tuple[str, str | None], ...]  # (literal text, placeholder name or None)
    placeholders: frozenset[str]

    @classmethod
    def parse(cls, text: str, name: str = "<template>") -> PromptTemplate:
        """Only bare named placeholders are allowed: no positional `{}`, `{0}`, `{a.b}`, `{a[0]}`, `!r` or `:spec`."""
        pieces: list[tuple[str, str | None]] = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as error:
            raise PromptTemplateError(
                f"Prompt {name!r} has unbalanced braces ({error}); write {{{{ and }}}} for literal braces."
            ) from None
        for literal, field, format_spec, conversion in parsed:
            if field is None:
                pieces.append((literal, None))
                continue
            if not _PLACEHOLDER_RE.fullmatch(field) or format_spec or conversion:
                shown = "{" + field + (f"!{conversion}" if conversion else "")
                shown += f":{format_spec}" if format_spec else ""
                raise PromptTemplateError(
                    f"Prompt {name!r} has the placeholder {shown}}}; "
                    "only named placeholders like {question} are allowed."
                )
            pieces.append((literal, field))
        return cls(name=name, pieces=tuple(pieces), placeholders=frozenset(f for _, f in pieces if f))

    def render(self, values: Mapping[str, Any]) -> str:
        missing = sorted(self.placeholders - values.keys())
        extra = sorted(values.keys() - self.placeholders)
        if missing or extra:
            problems = []
            if missing:
                problems.append("missing values for " + ", ".join(missing))
            if extra:
                problems.append("values with no placeholder: " + ", ".join(extra))
            raise PromptTemplateError(f"Prompt {self.name!r}: " + "; ".join(problems) + ".")
        out: list[str] = []
        for literal, field in self.pieces:
            out.append(literal)
            if field is not None:
                out.append(str(values[field]))
        return "".join(out)


@lru_cache(maxsize=32)
def load_template(name: str) -> PromptTemplate:
    """Read and parse prompts/<name>.txt once per process."""
    if not _NAME_RE.fullmatch(name):
        raise PromptTemplateError(f"{name!r} is not a prompt name; use lowercase letters, digits and underscores.")
    path: Path = PROMPTS_DIR / f"{name}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptTemplateError(f"There is no prompt named {name!r} in the prompts folder.") from None
    return PromptTemplate.parse(text, name)


def render_prompt(name: str, /, **values: Any) -> str:
    return load_template(name).render(values)


def as_data(value: Any) -> str:
    """JSON text for a data section: quoted, newlines escaped, and unable to fake a `<data>` delimiter."""
    encoded = json.dumps(value, ensure_ascii=False, default=str)
    return _DELIMITER_RE.sub(r"\\u003c", encoded)
