// Purpose: as criterion_mentions, for a criterion with a location: the mention must have one
//   located_at head (an Anatomy whose phrase_terms are its words and those of the anatomies
//   modifying it, expanded, e.g. [left, lung, base]) that meets every location group: the
//   line tagged `each located` is repeated once per group i, and group i is met when any of
//   its words ($located_i: a word and, with expand, its parts) is in the phrase. Conditions
//   after `WITH`, as in criterion_mentions.
// Parameters: $findings (list of integers); $located_0 … $located_N (lists of words);
//   $modifiers (list); $section (string).
MATCH (o:Observation)-[:LOCATED_AT]->(a:Anatomy)
WHERE o.finding IN $findings AND o.study_key IS NOT NULL AND o.start IS NOT NULL AND o.`end` IS NOT NULL
WITH o, a WHERE ANY(x IN $located_{i} WHERE x IN a.phrase_terms) /* each located */
WITH o, a WHERE ALL(x IN $modifiers WHERE x IN o.modifiers) /* when modifiers */
WITH o, a WHERE o.section = $section /* when section */
RETURN DISTINCT o.finding AS finding, o.study_key AS study_key, o.start AS start, o.`end` AS `end`
