// Purpose: exploration — where a finding is said to be: location phrases of one observation
//   term, counted in studies.
// Parameters: $term (normalised observation term), $limit.
MATCH (o:Observation {term: $term})-[:LOCATED_AT]->(a:Anatomy)
RETURN a.phrase_terms AS location, count(DISTINCT o.study_id) AS studies
ORDER BY studies DESC LIMIT $limit
