// Purpose: the studies with these study keys (kb.keys.study_key): their IDs and subjects, for
//   a page of a cohort on the embedded store (Neo4j reads a page in one statement,
//   read/cohort_page_neo4j). One lookup per key (the embedded store's primary key, an index
//   in Neo4j).
// Parameters: $keys (list of integers).
UNWIND $keys AS key
MATCH (s:Study {study_key: key})
RETURN s.study_key AS study_key, s.study_id AS study_id, s.subject_id AS subject_id
