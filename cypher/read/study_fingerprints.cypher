// Purpose: which of a batch's studies the store holds already, with the fingerprint of the
//   content each was built from (unchanged ones are skipped, changed ones replaced). One
//   lookup per study by its key (UNWIND; the embedded store's primary key, an index in
//   Neo4j): ladybug's `IN $ids` compares every study with every ID (0.8 s for 5,000 IDs in
//   20,000 studies, growing with the store).
// Parameters: $keys — list of study keys (kb.keys.study_key of each study ID).
UNWIND $keys AS key
MATCH (s:Study {study_key: key})
RETURN s.study_id AS study_id, s.fingerprint AS fingerprint
