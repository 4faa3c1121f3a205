"""Every Cypher statement the system runs lives in `cypher/**/*.cypher`; this loads them by
name (`"read/cohort_page"`), drops the header comments, and splits multi-statement files."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from kb.errors import KBError


@lru_cache(maxsize=None)
def statements(name: str) -> tuple[str, ...]:
    """The statements of `cypher/<name>.cypher`, in file order."""
    resource = files("cypher").joinpath(f"{name}.cypher")
    if not resource.is_file():
        raise KBError(f"no Cypher file cypher/{name}.cypher")
    lines = [line for line in resource.read_text(encoding="utf-8").splitlines()
             if not line.lstrip().startswith("//")]
    return tuple(s.strip() for s in "\n".join(lines).split(";") if s.strip())


def statement(name: str) -> str:
    """The one statement of a single-statement file."""
    found = statements(name)
    if len(found) != 1:
        raise KBError(f"cypher/{name}.cypher holds {len(found)} statements, expected one")
    return found[0]


def names(folder: str) -> list[str]:
    """The statement names in one folder of `cypher/` (`"explore"` → `["explore/…", …]`)."""
    return sorted(f"{folder}/{p.name.removesuffix('.cypher')}"
                  for p in files("cypher").joinpath(folder).iterdir() if p.name.endswith(".cypher"))
