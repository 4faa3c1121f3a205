// Purpose: remove the subgraphs of the given studies (mentions first, then the Study nodes),
//   before their new versions are copied in. Mentions are found by their study_id property,
//   so that mentions left behind by an interrupted load are removed too.
// Parameters: $ids — list of study IDs.
MATCH (o:Observation) WHERE o.study_id IN $ids DETACH DELETE o;
MATCH (a:Anatomy) WHERE a.study_id IN $ids DETACH DELETE a;
MATCH (s:Study) WHERE s.study_id IN $ids DETACH DELETE s
