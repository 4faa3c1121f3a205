// Purpose: the observation vocabulary for autocomplete: normalised terms starting with a
//   prefix, each with the number of studies that mention it (any certainty), most frequent first.
// Parameters: $prefix (normalised, '' for all), $limit.
MATCH (o:Observation) WHERE o.term STARTS WITH $prefix
RETURN o.term AS term, count(DISTINCT o.study_id) AS studies
ORDER BY studies DESC, term LIMIT $limit
