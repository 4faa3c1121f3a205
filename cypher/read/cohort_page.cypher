// Purpose: one page of the studies matching a cohort filter, in study ID order (keyset
//   pagination: the page starts after $after).
// Parameters: $after (study ID, "" for the first page), $limit (page size), and those of
//   the criteria.
MATCH (s:Study) WHERE s.study_id > $after AND ({{study_filter}})
RETURN s.study_id AS study_id, s.subject_id AS subject_id
ORDER BY s.study_id LIMIT $limit
