"""The failures file: one JSON line per rejected report, `{"key": …, "error": …}`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO


class FailureLog:
    """Collects rejected reports; writes them to a JSON-lines file when one is given."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.count = 0
        self.first: tuple[str, str] | None = None
        self._fp: IO[str] | None = open(path, "w", encoding="utf-8") if path else None

    def add(self, key: str, error: str) -> None:
        self.count += 1
        self.first = self.first or (key, error)
        if self._fp:
            self._fp.write(json.dumps({"key": key, "error": error}) + "\n")
            self._fp.flush()

    def close(self) -> None:
        if self._fp:
            self._fp.close()
