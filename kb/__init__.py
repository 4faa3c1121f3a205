"""RadKB: radiology reports in, a graph of findings out, any imaging cohort one query away.

    from kb import open_store, parse_where, select
    kb = open_store("./kb-store", read_only=True)
    page = select(kb, parse_where({"observation": "effusion", "locatedAt": ["left", "base"]}))
"""

from kb.cohort import CohortFilter, CohortPage, Criterion, parse_where, select
from kb.errors import InputError, KBError, QueryError, ReportError, StoreError
from kb.radgraph import parse_report, read_radgraph, write_radgraph
from kb.report import Entity, Relation, Report
from kb.schema import Certainty, EntityType, Label, RelationType
from kb.store import open_store

__version__ = "0.1.0"

__all__ = [
    "CohortFilter", "CohortPage", "Criterion", "parse_where", "select",
    "InputError", "KBError", "QueryError", "ReportError", "StoreError",
    "parse_report", "read_radgraph", "write_radgraph",
    "Entity", "Relation", "Report", "Certainty", "EntityType", "Label", "RelationType",
    "open_store",
]
