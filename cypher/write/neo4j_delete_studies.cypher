// Purpose: remove the subgraphs of the given studies (mentions first, then the Study nodes),
//   in the same write transaction that then creates their new versions, so a study is
//   replaced atomically. Mentions are reached from their Study (its uniqueness constraint,
//   then HAS_OBSERVATION / HAS_ANATOMY), so they need no index of their own on study_id.
//   Neo4j-only: the embedded store has its own form (delete_studies_embedded).
// Parameters: $ids — list of study IDs.
MATCH (s:Study)-[:HAS_OBSERVATION]->(o:Observation) WHERE s.study_id IN $ids DETACH DELETE o;
MATCH (s:Study)-[:HAS_ANATOMY]->(a:Anatomy) WHERE s.study_id IN $ids DETACH DELETE a;
MATCH (s:Study) WHERE s.study_id IN $ids DETACH DELETE s
