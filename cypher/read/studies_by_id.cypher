// Purpose: the Study nodes of a page of study IDs, with the report text (the API loads a
//   cohort page's studies in one round trip).
// Parameters: $ids — list of study IDs.
MATCH (s:Study) WHERE s.study_id IN $ids
RETURN s.study_id AS study_id, s.subject_id AS subject_id, s.source AS source, s.text AS text,
       s.extractor AS extractor, s.extractor_version AS extractor_version,
       s.ingested_at AS ingested_at, s.metadata AS metadata
