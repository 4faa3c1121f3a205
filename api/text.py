"""Input must be text. JSON can carry an unpaired surrogate (`"\\ud800"`), which is no
character: the stores can neither hold nor compare it (ladybug fails to convert it), so a GraphQL
variable or a REST filter that holds one is an error about the input, said as such. (The GraphQL
parser already rejects one written into the query document.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from kb.errors import QueryError

_UNPAIRED = re.compile("[\ud800-\udfff]")


def check_text(value: Any, what: str) -> None:
    """Raise a QueryError naming `what` when a string in `value` (or in the lists and dicts
    it holds) has an unpaired surrogate."""
    for text in _strings(value):
        found = _UNPAIRED.search(text)
        if found:
            raise QueryError(f"{what} holds an unpaired surrogate (\\u{ord(found[0]):04x}) at character "
                             f"{found.start()} of {text[:40]!r}, which is not text; send UTF-8 text")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


class TextVariables(SchemaExtension):
    """Rejects GraphQL variables that are not text before anything runs."""

    def on_execute(self) -> Iterator[None]:
        check_text(self.execution_context.variables or {}, "a variable")
        yield
