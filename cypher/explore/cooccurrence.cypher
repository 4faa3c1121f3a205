// Purpose: exploration — which present observations occur in the same studies as a given one.
// Parameters: $term (normalised observation term, e.g. "effusion"), $limit.
MATCH (s:Study)-[:HAS_OBSERVATION]->(o:Observation {term: $term, certainty: 'PRESENT'})
MATCH (s)-[:HAS_OBSERVATION]->(other:Observation {certainty: 'PRESENT'})
WHERE other.term <> $term
RETURN other.term AS term, count(DISTINCT s) AS studies
ORDER BY studies DESC, term LIMIT $limit
