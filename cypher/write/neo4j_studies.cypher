// Purpose: the Study nodes of a batch (Neo4j store). CREATE, not MERGE: the same transaction
//   has just deleted these studies (neo4j_delete_studies), and the uniqueness constraint still
//   rejects a duplicate. Properties are listed, as in neo4j_observations; a null property
//   (no subject) is not stored, and reads return null for it.
// Parameters: $rows — list of maps with the Study properties (kb.tables.STUDY).
UNWIND $rows AS row
CREATE (:Study {
  study_id: row.study_id, subject_id: row.subject_id, source: row.source, text: row.text,
  extractor: row.extractor, extractor_version: row.extractor_version,
  ingested_at: row.ingested_at, metadata: row.metadata, fingerprint: row.fingerprint,
  study_key: row.study_key})
