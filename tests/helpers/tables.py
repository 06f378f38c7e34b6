"""Tables as the client prints them (rich), read back as rows of text cells."""

from __future__ import annotations

import re

# rich's heavy header and light body rules, or ASCII when the output cannot take them
RULES = "┃│|"


def printed_table(text: str) -> list[dict[str, str]]:
    """The rows of the table printed in `text`, each as {column header: cell text}."""
    lines = [line.strip() for line in text.splitlines()]
    rows = [
        [cell.strip() for cell in re.split(f"[{RULES}]", line)[1:-1]]
        for line in lines
        if line[:1] in RULES and line[-1:] in RULES and len(line) > 1
    ]
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]
