// Purpose: the subgraphs of a batch of studies (Neo4j store), each in one pass: its Study, its
//   Observation and Anatomy mentions (linked by HAS_OBSERVATION / HAS_ANATOMY), then its
//   LOCATED_AT, SUGGESTIVE_OF and MODIFY relationships between nodes this statement has just
//   created. A relationship names its ends by their positions in the study's lists, so no
//   node is looked up by ID (looking up both ends of every relationship, and the Study of
//   every mention, was most of the server's work). CREATE, not MERGE: the same transaction
//   has just deleted these studies (neo4j_delete_studies), and the uniqueness constraints
//   still reject a duplicate. Properties are listed; a null property (no subject) is not
//   stored, and reads return null for it. An Observation's `location_text` is its
//   `locations` joined (kb.store.neo4j.location_text), what located criteria test on Neo4j.
// Parameters: $studies — list of maps: the Study properties (kb.tables.STUDY) and
//   `observations`, `anatomies` (lists of maps with the mention properties:
//   kb.tables.OBSERVATION, kb.tables.ANATOMY), `located_at`, `suggestive_of`,
//   `modify_observation`, `modify_anatomy` (lists of [from, to] positions: LOCATED_AT from
//   observations to anatomies, SUGGESTIVE_OF from observations to observations, MODIFY within
//   observations or within anatomies).
//   `replan=skip`: the plan does not depend on the data, but the server would otherwise
//   re-plan it whenever the growing graph's statistics drift (every few seconds of an ingest;
//   planning was 12% of the server's Bolt thread in a profile of a 20,000-report ingest).
CYPHER replan=skip
UNWIND $studies AS row
CREATE (s:Study {
  study_id: row.study_id, subject_id: row.subject_id, source: row.source, text: row.text,
  extractor: row.extractor, extractor_version: row.extractor_version,
  ingested_at: row.ingested_at, metadata: row.metadata, fingerprint: row.fingerprint,
  study_key: row.study_key})
WITH s, row
CALL (s, row) {
  UNWIND row.observations AS m
  CREATE (s)-[:HAS_OBSERVATION]->(o:Observation {
    id: m.id, study_id: m.study_id, subject_id: m.subject_id, text: m.text, term: m.term,
    certainty: m.certainty, start: m.start, `end`: m.`end`, section: m.section,
    locations: m.locations, location_text: m.location_text, modifiers: m.modifiers,
    finding: m.finding, study_key: m.study_key})
  RETURN collect(o) AS observations
}
CALL (s, row) {
  UNWIND row.anatomies AS m
  CREATE (s)-[:HAS_ANATOMY]->(a:Anatomy {
    id: m.id, study_id: m.study_id, text: m.text, term: m.term, start: m.start, `end`: m.`end`,
    section: m.section, phrase_terms: m.phrase_terms})
  RETURN collect(a) AS anatomies
}
CALL (row, observations, anatomies) {
  UNWIND row.located_at AS e
  WITH observations[e[0]] AS a, anatomies[e[1]] AS b
  CREATE (a)-[:LOCATED_AT]->(b)
}
CALL (row, observations) {
  UNWIND row.suggestive_of AS e
  WITH observations[e[0]] AS a, observations[e[1]] AS b
  CREATE (a)-[:SUGGESTIVE_OF]->(b)
}
CALL (row, observations) {
  UNWIND row.modify_observation AS e
  WITH observations[e[0]] AS a, observations[e[1]] AS b
  CREATE (a)-[:MODIFY]->(b)
}
CALL (row, anatomies) {
  UNWIND row.modify_anatomy AS e
  WITH anatomies[e[0]] AS a, anatomies[e[1]] AS b
  CREATE (a)-[:MODIFY]->(b)
}
