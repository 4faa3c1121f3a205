// Purpose: the graph schema of the Neo4j store, created by `kb` when it opens the store for
//   writing (every statement is idempotent). Uniqueness constraints key the nodes (a write
//   that would duplicate one fails and rolls back). Range indexes serve the lookups: mentions
//   by finding (term and certainty as one integer: cohort criteria), by term (vocabulary,
//   exploration) and by study ID (replacing a study's subgraph); studies by study_key (the
//   integer cohorts sort and page on). No index on certainty, on purpose: with three values it is never selective,
//   and the planner, guessing, picked it over the term index for criteria.
// Parameters: none.
CREATE CONSTRAINT study_id IF NOT EXISTS FOR (s:Study) REQUIRE s.study_id IS UNIQUE;
CREATE CONSTRAINT observation_id IF NOT EXISTS FOR (o:Observation) REQUIRE o.id IS UNIQUE;
CREATE CONSTRAINT anatomy_id IF NOT EXISTS FOR (a:Anatomy) REQUIRE a.id IS UNIQUE;
CREATE INDEX study_key IF NOT EXISTS FOR (s:Study) ON (s.study_key);
CREATE INDEX observation_finding IF NOT EXISTS FOR (o:Observation) ON (o.finding);
CREATE INDEX observation_term IF NOT EXISTS FOR (o:Observation) ON (o.term);
CREATE INDEX observation_study_id IF NOT EXISTS FOR (o:Observation) ON (o.study_id);
CREATE INDEX anatomy_term IF NOT EXISTS FOR (a:Anatomy) ON (a.term);
CREATE INDEX anatomy_study_id IF NOT EXISTS FOR (a:Anatomy) ON (a.study_id)
