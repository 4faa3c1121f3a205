// Purpose (Neo4j; the embedded store: read/studies_by_key, then read/mentions_by_id): a
//   page of a cohort in one statement: each study with these study keys, its ID and subject,
//   and its evidence, the Observation mentions at the given spans, reached from the Study
//   (a study holds tens of mentions). One statement instead of those two lookups, because
//   each Neo4j statement costs a few milliseconds before any work (220,000 reports, pages of
//   50: median 3.7-4.3 ms against 5.4-7.3 for the two; the single, located and boolean
//   queries of bench.query_bench 3-6 ms faster, median). Ladybug plans this pattern as a scan
//   of every HAS_OBSERVATION relationship (read/study_observations), so it keeps the lookups.
// Parameters: $pages (list of maps: key, a study key (kb.keys.study_key); spans, the [start,
//   end] of each evidence mention).
UNWIND $pages AS page
MATCH (s:Study {study_key: page.key})
OPTIONAL MATCH (s)-[:HAS_OBSERVATION]->(o:Observation) WHERE [o.start, o.`end`] IN page.spans
RETURN s.study_key AS study_key, s.study_id AS study_id, s.subject_id AS subject_id,
       collect(o {.text, .start, .`end`, .certainty, .section}) AS evidence
