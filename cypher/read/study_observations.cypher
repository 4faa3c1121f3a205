// Purpose: every Observation mention of a page of studies, with its location phrases and
//   modifier terms (one round trip for the observations of a whole cohort page).
// Parameters: $ids — list of study IDs.
MATCH (s:Study)-[:HAS_OBSERVATION]->(o:Observation) WHERE s.study_id IN $ids
RETURN o.study_id AS study_id, o.id AS id, o.text AS text, o.term AS term,
       o.certainty AS certainty, o.start AS start, o.`end` AS `end`, o.section AS section,
       o.locations AS locations, o.modifiers AS modifiers
ORDER BY study_id, start
