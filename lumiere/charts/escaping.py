"""Text from the data made inert for Plotly, which renders a small HTML subset (links included)
inside labels, titles and hover text."""

from __future__ import annotations

import re
from typing import Any


def inert(text: Any) -> str:
    """Text Plotly shows literally: its HTML subset (<a href>, <b>...), template fields and script URLs are escaped."""
    value = str(text)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = value.replace("{", "&#123;").replace("}", "&#125;")
    return re.sub(r"(?i)(javascript|vbscript|data)(\s*):", r"\1\2&#58;", value)


EMPTY_LABEL = "(empty)"


def label_text(value: Any) -> str:
    return EMPTY_LABEL if value is None else inert(value)
