// Purpose: the studies with these study keys (kb.keys.study_key): their IDs and subjects, for
//   a page of a cohort.
// Parameters: $keys (list of integers).
MATCH (s:Study)
WHERE s.study_key IN $keys
RETURN s.study_key AS study_key, s.study_id AS study_id, s.subject_id AS subject_id
