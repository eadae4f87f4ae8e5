"""One proposed change as read from a message, before it is checked against the draft."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Op = Literal[
    "replace_phrase",  # old -> new inside a paragraph
    "insert_phrase",  # new placed before/after the anchor ``old``
    "delete_phrase",  # old removed
    "append",  # new added at the end of the paragraph
    "prepend",  # new added at the start of the paragraph
    "replace_paragraph",  # the whole paragraph becomes ``new``
    "delete_paragraph",
    "insert_paragraph",  # ``new`` becomes a paragraph after ``paragraph`` (0 = at the start)
]


@dataclass(frozen=True)
class Edit:
    """A change against the draft, in the draft's original numbering (1-based)."""

    op: Op
    paragraph: int | None  # None: find the paragraph that holds ``old``
    old: str | None = None
    new: str | None = None
    before: bool = False  # insert_phrase: before the anchor instead of after it
    source: str = "instruction"  # instruction | pasted | table | docx | redline
