// Purpose: the graph schema of the Neo4j store, created by `kb` when it opens the store for
//   writing (every statement is idempotent). Uniqueness constraints key the nodes (a write
//   that would duplicate one fails and rolls back). Range indexes serve the lookups: mentions
//   by finding (term and certainty as one integer: cohort criteria), the index also holding
//   what a criterion tests and returns (location_text, study_key, start, end), so that a
//   criterion is answered from the index without reading each mention's properties (2x
//   faster for a 22,000-mention criterion; a located one about 3x: 220,000 reports, opacity
//   at left base, p95 152-157 ms against 397-428 with the index before, which lacked
//   location_text; the strings make scans of the other criteria 0-20% slower). It replaces
//   the indexes of RadKB before 2026-11-29 (on finding; on finding, study_key, start, end),
//   dropped here; a graph written before then is readied first (write/neo4j_location_text,
//   run by kb.store.neo4j while this index does not exist). Mentions by term (vocabulary,
//   exploration); studies by study_key (a cohort page). Each index costs every write: a
//   study's mentions are reached from the Study (replacing its subgraph), not by an index on
//   their study_id, and certainty has none (three values are never selective).
// Parameters: none.
CREATE CONSTRAINT study_id IF NOT EXISTS FOR (s:Study) REQUIRE s.study_id IS UNIQUE;
CREATE CONSTRAINT observation_id IF NOT EXISTS FOR (o:Observation) REQUIRE o.id IS UNIQUE;
CREATE CONSTRAINT anatomy_id IF NOT EXISTS FOR (a:Anatomy) REQUIRE a.id IS UNIQUE;
CREATE INDEX study_key IF NOT EXISTS FOR (s:Study) ON (s.study_key);
DROP INDEX observation_finding IF EXISTS;
DROP INDEX observation_finding_span IF EXISTS;
CREATE INDEX observation_finding_location IF NOT EXISTS FOR (o:Observation) ON (o.finding, o.location_text, o.study_key, o.start, o.`end`);
CREATE INDEX observation_term IF NOT EXISTS FOR (o:Observation) ON (o.term);
CREATE INDEX anatomy_term IF NOT EXISTS FOR (a:Anatomy) ON (a.term)
