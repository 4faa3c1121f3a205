// Purpose: exploration — one study's observations with their location phrases and modifiers.
// Parameters: $study_id.
MATCH (s:Study {study_id: $study_id})-[:HAS_OBSERVATION]->(o:Observation)
RETURN o.text AS text, o.term AS term, o.certainty AS certainty, o.start AS start,
       o.locations AS locations, o.modifiers AS modifiers, o.section AS section
ORDER BY start
