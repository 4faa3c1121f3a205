// Purpose: the anatomy vocabulary for autocomplete: normalised terms starting with a prefix,
//   each with the number of studies that mention it, most frequent first.
// Parameters: $prefix (normalised, '' for all), $limit.
MATCH (a:Anatomy) WHERE a.term STARTS WITH $prefix
RETURN a.term AS term, count(DISTINCT a.study_id) AS studies
ORDER BY studies DESC, term LIMIT $limit
