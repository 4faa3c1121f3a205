"""The RadGraph schema: entity labels, certainty and relation types, with one parser per
upstream vocabulary (RadGraph 1.0 `OBS-DA`, RadGraph-XL `Observation::definitely absent`)."""

from __future__ import annotations

from enum import Enum

from kb.errors import InputError


class EntityType(str, Enum):
    ANATOMY = "Anatomy"
    OBSERVATION = "Observation"


class Certainty(str, Enum):
    """How sure the report is of an observation (RadGraph DP / U / DA)."""

    PRESENT = "PRESENT"
    UNCERTAIN = "UNCERTAIN"
    ABSENT = "ABSENT"


class Label(str, Enum):
    """The RadGraph 1.0 entity labels; every upstream spelling parses into one of these."""

    ANAT_DP = "ANAT-DP"
    OBS_DP = "OBS-DP"
    OBS_U = "OBS-U"
    OBS_DA = "OBS-DA"

    entity_type: EntityType
    certainty: Certainty | None  # None for anatomy: the graph keeps no certainty on anatomy

    @classmethod
    def parse(cls, text: str) -> Label:
        """Read a RadGraph 1.0 or RadGraph-XL label; raise naming the allowed set otherwise."""
        label = (_V1.get(text) or _XL.get(text)) if isinstance(text, str) else None
        if label is None:
            allowed = ", ".join([*_V1, *_XL])
            raise InputError(f"unknown label {text!r}; allowed: {allowed}")
        return label


class RelationType(str, Enum):
    MODIFY = "modify"
    LOCATED_AT = "located_at"
    SUGGESTIVE_OF = "suggestive_of"

    @classmethod
    def parse(cls, text: str) -> RelationType:
        found = _RELATIONS.get(text) if isinstance(text, str) else None
        if found is None:
            allowed = ", ".join(member.value for member in cls)
            raise InputError(f"unknown relation type {text!r}; allowed: {allowed}")
        return found

    def allows(self, source: Label, target: Label) -> bool:
        """The label pairs the annotation guidelines allow for this relation."""
        src, dst = source.entity_type, target.entity_type
        if self is RelationType.LOCATED_AT:
            return src is EntityType.OBSERVATION and dst is EntityType.ANATOMY
        if self is RelationType.SUGGESTIVE_OF:
            return src is EntityType.OBSERVATION and dst is EntityType.OBSERVATION
        return src is dst


_CERTAINTY_OF = {
    Label.OBS_DP: Certainty.PRESENT,
    Label.OBS_U: Certainty.UNCERTAIN,
    Label.OBS_DA: Certainty.ABSENT,
}

for _label in Label:  # plain attributes: read for every mention at ingest
    _label.entity_type = EntityType.ANATOMY if _label is Label.ANAT_DP else EntityType.OBSERVATION
    _label.certainty = _CERTAINTY_OF.get(_label)

_V1 = {label.value: label for label in Label}

# RadGraph-XL: anatomy keeps no certainty here (the rare `Anatomy::uncertain` and
# `Anatomy::definitely absent` become ANAT-DP) and measurements are ordinary mentions.
_XL_CERTAINTY = {
    "definitely present": Label.OBS_DP,
    "uncertain": Label.OBS_U,
    "definitely absent": Label.OBS_DA,
}
_XL = {
    **{f"Observation::{c}": label for c, label in _XL_CERTAINTY.items()},
    **{f"Observation::measurement::{c}": label for c, label in _XL_CERTAINTY.items()},
    **{f"Anatomy::{c}": Label.ANAT_DP for c in _XL_CERTAINTY},
    **{f"Anatomy::measurement::{c}": Label.ANAT_DP for c in _XL_CERTAINTY},
}

_RELATIONS = {member.value: member for member in RelationType}
