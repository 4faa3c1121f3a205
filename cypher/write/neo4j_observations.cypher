// Purpose: the Observation mention nodes of a batch, each linked from its Study (written
//   first) by HAS_OBSERVATION. CREATE and listed properties, for the reasons in neo4j_studies
//   (`SET o = row` after the Study lookup makes the planner buffer the batch: Eager).
// Parameters: $rows — list of maps with the Observation properties (kb.tables.OBSERVATION).
UNWIND $rows AS row
MATCH (s:Study {study_id: row.study_id})
CREATE (s)-[:HAS_OBSERVATION]->(:Observation {
  id: row.id, study_id: row.study_id, subject_id: row.subject_id, text: row.text, term: row.term,
  certainty: row.certainty, start: row.start, `end`: row.`end`, section: row.section,
  locations: row.locations, modifiers: row.modifiers, finding: row.finding,
  study_key: row.study_key})
