// Purpose: which of a batch's studies the store holds already, with the fingerprint of the
//   content each was built from (unchanged ones are skipped, changed ones replaced).
// Parameters: $ids — list of study IDs.
MATCH (s:Study) WHERE s.study_id IN $ids RETURN s.study_id AS study_id, s.fingerprint AS fingerprint
