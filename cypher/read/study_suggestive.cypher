// Purpose: the suggestive_of relations among the observations of a page of studies, as
//   (observation ID, the ID of the observation it suggests) pairs.
// Parameters: $ids — list of study IDs.
MATCH (s:Study)-[:HAS_OBSERVATION]->(o:Observation)-[:SUGGESTIVE_OF]->(t:Observation)
WHERE s.study_id IN $ids
RETURN o.study_id AS study_id, o.id AS id, t.id AS target
