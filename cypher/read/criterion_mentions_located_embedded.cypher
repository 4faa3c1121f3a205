// Purpose (embedded store; Neo4j: criterion_mentions_located_neo4j): as criterion_mentions,
//   for a criterion with a location: the mention must have one located_at head that meets
//   every location group. A head is tested through the mention's own `locations` (one
//   phrase per located_at head: the words of the head Anatomy and of the anatomies modifying
//   it, space-separated, e.g. "left lung base" — the head's phrase_terms joined), so no
//   relationship is followed: one row per head phrase, DISTINCT at the end. The line
//   tagged `each located` is repeated once per group i; group i is met when the phrase
//   holds one of its words as a whole word ($located_i: a regular expression built by
//   kb.cohort._any_word from a word and, with expand, its parts, e.g.
//   `(.* )?(lung|lobe|base)( .*)?`; the phrase must match it whole). A regular expression,
//   not a list lambda: ladybug 0.22 spent 2x as long on `ANY(x IN $words WHERE …)`
//   (220,000 reports, opacity at left base: 500 vs 241 ms).
//   Conditions after `WITH`, as in criterion_mentions; no finding returned (only a shared
//   scan, never located, needs it).
// Parameters: $finding or $findings (as criterion_mentions); $located_0 … $located_N
//   (regular expressions); $modifier_0 … $modifier_N (words); $section (string).
MATCH (o:Observation)
WHERE o.finding = $finding AND o.study_key IS NOT NULL AND o.start IS NOT NULL AND o.`end` IS NOT NULL /* when finding */
WHERE o.finding IN $findings AND o.study_key IS NOT NULL AND o.start IS NOT NULL AND o.`end` IS NOT NULL /* when findings */
UNWIND o.locations AS phrase
WITH o, phrase WHERE phrase =~ $located_{i} /* each located */
WITH o, phrase WHERE $modifier_{i} IN o.modifiers /* each modifier */
WITH o, phrase WHERE o.section = $section /* when section */
RETURN DISTINCT o.study_key AS study_key, o.start AS start, o.`end` AS `end`
