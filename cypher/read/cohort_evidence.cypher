// Purpose: the evidence of matched studies: their mentions meeting any positive criterion.
// Parameters: $ids (study IDs), and those of the criteria.
MATCH (s:Study)-[:HAS_OBSERVATION]->(o:Observation)
WHERE s.study_id IN $ids AND ({{mention_filter}})
RETURN s.study_id AS study_id, o.text AS text, o.start AS start, o.`end` AS `end`,
       o.certainty AS certainty, o.section AS section
ORDER BY study_id, start
