// Purpose: remove the subgraphs of the given studies (mentions first, then the Study nodes),
//   in the same write transaction that then creates their new versions, so a study is
//   replaced atomically. Mentions are found by their study_id property (indexed).
//   Neo4j-only: the embedded store has its own form (delete_studies_embedded).
// Parameters: $ids — list of study IDs.
MATCH (o:Observation) WHERE o.study_id IN $ids DETACH DELETE o;
MATCH (a:Anatomy) WHERE a.study_id IN $ids DETACH DELETE a;
MATCH (s:Study) WHERE s.study_id IN $ids DETACH DELETE s
