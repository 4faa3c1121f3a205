// Purpose: the most frequent terms of one mention type with a given certainty, counted in studies.
// Parameters: $certainty (PRESENT, UNCERTAIN or ABSENT), $limit (how many terms).
MATCH (o:Observation) WHERE o.certainty = $certainty
RETURN o.term AS term, count(DISTINCT o.study_id) AS studies
ORDER BY studies DESC, term LIMIT $limit
