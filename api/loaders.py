"""Per-request state: the context every resolver gets, with its deadline and DataLoaders. The
nested fields of a page of studies load in one store round trip per kind (studies,
observations, suggestive_of pairs), however many studies the page has."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from api.backend import Backend
from kb.keys import study_key
from kb.settings import Settings

Row = dict[str, Any]


@dataclass(frozen=True)
class Loaders:
    studies: DataLoader[str, Row | None]  # study ID → its Study node (text, source, …)
    observations: DataLoader[str, list[Row]]  # study ID → its observations, by start


def loaders(backend: Backend, deadline: float) -> Loaders:
    async def load_studies(ids: Sequence[str]) -> list[Row | None]:
        rows = await backend.read(deadline, "read/studies_by_id", _keys(ids))
        found = {r["study_id"]: r for r in rows}
        return [found.get(i) for i in ids]

    async def load_observations(ids: Sequence[str]) -> list[list[Row]]:
        params = _keys(ids)
        rows, pairs = await asyncio.gather(backend.read(deadline, "read/study_observations", params),
                                           backend.read(deadline, "read/study_suggestive", params))
        suggests: dict[str, list[str]] = {}
        for p in pairs:
            suggests.setdefault(p["id"], []).append(p["target"])
        found: dict[str, list[Row]] = {i: [] for i in ids}
        for r in rows:
            found[r["study_id"]].append({**r, "suggestive_of": suggests.get(r["id"], [])})
        return [found[i] for i in ids]

    return Loaders(DataLoader(load_studies), DataLoader(load_observations))


def _keys(study_ids: Sequence[str]) -> dict[str, list[int]]:
    """The statements' parameter: the studies' keys (both stores look studies up by key)."""
    return {"keys": sorted(study_key(i) for i in study_ids)}


class Context(BaseContext):
    """What one request's resolvers share: the backend, the limits, the deadline, the loaders."""

    def __init__(self, backend: Backend, settings: Settings) -> None:
        super().__init__()
        self.backend = backend
        self.max_first = settings.kb_max_first
        self.deadline = backend.deadline()
        self.loaders = loaders(backend, self.deadline)
