// Purpose: how many studies match a cohort filter. {{study_filter}} combines criterion_study
//   fragments with AND / OR / NOT.
// Parameters: those of the criteria.
MATCH (s:Study) WHERE {{study_filter}} RETURN count(s) AS total
