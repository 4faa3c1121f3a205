// Purpose: every study key (the universe a none-of-only cohort starts from).
// Parameters: none.
MATCH (s:Study) RETURN s.study_key AS study_key
