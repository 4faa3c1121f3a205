// Purpose: the Observation mentions that meet one cohort criterion, as integers (study key,
//   start, end, and the finding: cheap to scan and return; a page's evidence rows come after, from
//   read/studies_by_key and read/mentions_by_id, or on Neo4j read/cohort_page_neo4j): the mention's finding is one of
//   $findings (kb.keys.finding_key of each allowed term and certainty: one integer test per
//   mention; with one finding, `= $finding`, which ladybug 0.22 tests inside its scan: 8-12 ms
//   instead of 35 over 2.8 million mentions; the embedded store writes the integer in as a
//   literal, and ladybug then reads a mention's other columns only when it passes), every
//   required modifier term is among its modifiers, and (located variants,
//   criterion_mentions_located_embedded and _neo4j) one located_at head's phrase carries
//   every required location word. Lines tagged `when <part>` are kept only when the
//   criterion has that part (`when neo4j`: only on Neo4j); a line
//   tagged `each modifier` is repeated once per required modifier i ($modifier_i; a plain
//   `IN` test, not `ALL(x IN $modifiers WHERE …)`: ladybug 0.22's list lambdas took 1.5x as
//   long). The other conditions come after `WITH`, so that they are tested on the mentions
//   the finding selected only (in one WHERE, ladybug evaluates a list condition on every
//   mention: 15x slower). The `IS NOT NULL` tests are always true (every mention has these properties):
//   they let Neo4j answer from its index on (finding, location_text, study_key, start, end)
//   without reading the mentions (schema/neo4j); a composite index is used only when every
//   one of its properties is tested (location_text is Neo4j's only). The finding is returned only when there are several (the
//   shared scan of kb.cohort.mentions tells its rows apart by it): one column fewer to
//   collect and send (Neo4j, 220,000 reports, normal's 246,827 mentions collected without
//   it: 125-190 ms against 240-250).
// Parameters: $finding (an integer) or $findings (list of integers, two or more);
//   $modifier_0 … $modifier_N (normalised words); $section (string).
MATCH (o:Observation)
WHERE o.finding = $finding /* when finding */
WHERE o.finding IN $findings /* when findings */
  AND o.location_text IS NOT NULL /* when neo4j */
  AND o.study_key IS NOT NULL AND o.start IS NOT NULL AND o.`end` IS NOT NULL
WITH o WHERE $modifier_{i} IN o.modifiers /* each modifier */
WITH o WHERE o.section = $section /* when section */
RETURN o.study_key AS study_key, o.start AS start, o.`end` AS `end` /* when finding */
RETURN o.finding AS finding, o.study_key AS study_key, o.start AS start, o.`end` AS `end` /* when findings */
