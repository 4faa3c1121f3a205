"""What every store offers: idempotent batch writes keyed by study ID, and Cypher reads."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np

from kb.keys import study_key
from kb.tables import GraphTables

SERVER_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def is_server_uri(uri: str) -> bool:
    return uri.startswith(SERVER_SCHEMES)


class Store(Protocol):
    uri: str

    def write(self, tables: GraphTables) -> None:
        """Store a batch's study subgraphs, replacing any earlier version of those studies."""

    def bulk_load(self) -> AbstractContextManager[None]:
        """A block of writes that the store may hold back and store together when it ends
        (the embedded store does when it is empty; Neo4j stores each write as it comes)."""

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a read-only Cypher query; rows as dicts keyed by the RETURN names."""

    def read_columns(self, query: str, params: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
        """Run a read-only Cypher query whose columns are all integers (cohort criteria);
        one int64 array per RETURN name."""

    def fingerprints(self, study_ids: Sequence[str]) -> dict[str, str]:
        """The content fingerprints of those of these studies that the store holds."""

    def close(self) -> None: ...


def fingerprints(store: Store, study_ids: Sequence[str]) -> dict[str, str]:
    """Store.fingerprints, looked up by study key (both stores index studies by it)."""
    from kb.cypher import statement

    rows = store.read(statement("read/study_fingerprints"), {"keys": [study_key(s) for s in study_ids]})
    return {r["study_id"]: r["fingerprint"] for r in rows}


def is_empty(store: Store) -> bool:
    """Whether the store holds no study."""
    from kb.cypher import statement

    return not store.read(statement("read/any_study"))


def stats(store: Store, top: int = 10) -> dict[str, Any]:
    """Studies, mentions by type and certainty, relations by type, and the top present terms."""
    from kb.cypher import statement, statements

    counts = {row["what"]: int(row["n"]) for q in statements("read/stats_counts")
              for row in store.read(q)}
    by_type = {k: counts.pop(k, 0) for k in ("located_at", "suggestive_of", "modify_observation",
                                          "modify_anatomy")}
    certainty = {r["certainty"]: int(r["n"]) for r in store.read(statement("read/stats_certainty"))}
    top_terms = store.read(statement("read/stats_top_terms"), {"certainty": "PRESENT", "limit": top})
    counts = {k: counts.get(k, 0) for k in ("studies", "observations", "anatomies")}
    return {**counts, "relations": sum(by_type.values()),
            "relations_by_type": {"located_at": by_type["located_at"],
                                  "suggestive_of": by_type["suggestive_of"],
                                  "modify": by_type["modify_observation"] + by_type["modify_anatomy"]},
            "observations_by_certainty": certainty,
            "top_present_terms": [{"term": r["term"], "studies": int(r["studies"])} for r in top_terms]}
