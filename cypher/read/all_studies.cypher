// Purpose: every study ID with its subject (the universe a none-of-only cohort starts from).
// Parameters: none.
MATCH (s:Study) RETURN s.study_id AS study_id, s.subject_id AS subject_id
