// Purpose: the Anatomy mention nodes of a batch, each linked from its Study (written first)
//   by HAS_ANATOMY. CREATE and listed properties, for the reasons in neo4j_observations.
// Parameters: $rows — list of maps with the Anatomy properties (kb.tables.ANATOMY).
UNWIND $rows AS row
MATCH (s:Study {study_id: row.study_id})
CREATE (s)-[:HAS_ANATOMY]->(:Anatomy {
  id: row.id, study_id: row.study_id, text: row.text, term: row.term, start: row.start,
  `end`: row.`end`, section: row.section, phrase_terms: row.phrase_terms})
