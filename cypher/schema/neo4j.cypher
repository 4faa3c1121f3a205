// Purpose: the graph schema of the Neo4j store, created by `kb` when it opens the store for
//   writing (every statement is idempotent). Uniqueness constraints key the nodes (a write
//   that would duplicate one fails and rolls back). Range indexes serve the lookups: mentions
//   by finding (term and certainty as one integer: cohort criteria) and by term (vocabulary,
//   exploration); studies by study_key (a cohort page). Each index costs every write: a
//   study's mentions are reached from the Study (replacing its subgraph), not by an index on
//   their study_id, and certainty has none (three values are never selective).
// Parameters: none.
CREATE CONSTRAINT study_id IF NOT EXISTS FOR (s:Study) REQUIRE s.study_id IS UNIQUE;
CREATE CONSTRAINT observation_id IF NOT EXISTS FOR (o:Observation) REQUIRE o.id IS UNIQUE;
CREATE CONSTRAINT anatomy_id IF NOT EXISTS FOR (a:Anatomy) REQUIRE a.id IS UNIQUE;
CREATE INDEX study_key IF NOT EXISTS FOR (s:Study) ON (s.study_key);
CREATE INDEX observation_finding IF NOT EXISTS FOR (o:Observation) ON (o.finding);
CREATE INDEX observation_term IF NOT EXISTS FOR (o:Observation) ON (o.term);
CREATE INDEX anatomy_term IF NOT EXISTS FOR (a:Anatomy) ON (a.term)
