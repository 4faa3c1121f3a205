// Purpose: the Study nodes of a page of studies, with the report text (the API loads a cohort
//   page's studies in one round trip). Looked up by key (kb.keys.study_key of each study ID:
//   the embedded store's primary key, an index in Neo4j), not by scanning every study.
// Parameters: $keys — list of study keys.
UNWIND $keys AS key
MATCH (s:Study {study_key: key})
RETURN s.study_id AS study_id, s.subject_id AS subject_id, s.source AS source, s.text AS text,
       s.extractor AS extractor, s.extractor_version AS extractor_version,
       s.ingested_at AS ingested_at, s.metadata AS metadata
