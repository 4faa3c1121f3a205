"""Cursors: opaque to clients, the base64 of the study ID an edge stands for. Pages are keyset
pages in cohort order (by study key, `kb.cohort.select(…, after=study_id)`), so a cursor stays
valid while the store changes: the next page starts after that study, wherever it now sits."""

from __future__ import annotations

import base64
import binascii

from kb.errors import QueryError

_PREFIX = "study:"


def encode_cursor(study_id: str) -> str:
    return base64.urlsafe_b64encode((_PREFIX + study_id).encode()).decode()


def decode_cursor(cursor: str) -> str:
    """The study ID a cursor names; a cursor this service did not issue is an error."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode()
    except (UnicodeError, binascii.Error, ValueError):
        text = ""
    if not text.startswith(_PREFIX) or text == _PREFIX:
        raise QueryError(f"invalid cursor {cursor[:60]!r}: pass the endCursor (or an edge "
                         "cursor) of an earlier page of the same query")
    return text[len(_PREFIX):]
