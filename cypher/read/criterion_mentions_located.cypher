// Purpose: as criterion_mentions, for a criterion with a location: the mention must have one
//   located_at head that meets every location group. A head is tested through the mention's
//   own `locations` (one phrase per located_at head: the words of the head Anatomy and of the
//   anatomies modifying it, space-separated, e.g. "left lung base" — the head's phrase_terms
//   joined), so no relationship is followed: one row per head phrase, DISTINCT at the end
//   (a lambda inside a lambda cannot read a parameter in ladybug 0.22). The line tagged `each located` is repeated once
//   per group i; group i is met when the phrase holds any of its words ($located_i: a word
//   and, with expand, its parts, each padded with one space on either side, so that a word
//   matches whole words only). Conditions after `WITH`, as in criterion_mentions.
// Parameters: $findings (list of integers); $located_0 … $located_N (lists of " word ");
//   $modifiers (list); $section (string).
MATCH (o:Observation)
WHERE o.finding IN $findings AND o.study_key IS NOT NULL AND o.start IS NOT NULL AND o.`end` IS NOT NULL
UNWIND o.locations AS phrase
WITH o, phrase WHERE ANY(x IN $located_{i} WHERE (' ' + phrase + ' ') CONTAINS x) /* each located */
WITH o, phrase WHERE ALL(x IN $modifiers WHERE x IN o.modifiers) /* when modifiers */
WITH o, phrase WHERE o.section = $section /* when section */
RETURN DISTINCT o.finding AS finding, o.study_key AS study_key, o.start AS start, o.`end` AS `end`
