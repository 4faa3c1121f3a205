// Purpose: whether the store holds any study (kb.store.base.is_empty: an ingest into an empty
//   embedded store stages its batches and copies them in at once; a Neo4j store without the
//   criterion index is refused read-only only if it holds studies).
// Parameters: none.
MATCH (s:Study)
RETURN s.study_key AS study_key
LIMIT 1
