// Purpose: the suggestive_of relations among the observations of a page of studies, as
//   (observation ID, the ID of the observation it suggests) pairs. Studies are tested by
//   key, as in study_observations.
// Parameters: $keys — list of study keys (kb.keys.study_key).
MATCH (s:Study)-[:HAS_OBSERVATION]->(o:Observation)-[:SUGGESTIVE_OF]->(t:Observation)
WHERE s.study_key IN $keys
RETURN o.study_id AS study_id, o.id AS id, t.id AS target
