"""What a frozen pydantic record derives from its fields, made once and kept beside them.

``kept(record, name, make, *fields)`` is ``make()``, kept in the record's ``__dict__`` with the
field values it was made from and made again when one of them is another object: a
``model_copy(update=...)`` copies what is kept, and a copy with other values must not read it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def kept(record: Any, name: str, make: Callable[[], T], *fields: Any) -> T:
    held = record.__dict__.get(name)
    if held is None or any(a is not b for a, b in zip(held[0], fields, strict=True)):
        held = record.__dict__[name] = (fields, make())
    return held[1]
