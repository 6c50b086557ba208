"""Reading the Markdown the docs and README are written in."""

from __future__ import annotations

import re


def table_rows(text: str, first_header: str) -> list[list[str]]:
    """The cells of the Markdown table whose header row starts with `first_header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip("|"))])
    return rows
