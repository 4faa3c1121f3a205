// Purpose (Neo4j; the embedded store: criterion_mentions_located_embedded): as
//   criterion_mentions, for a criterion with a location: the mention must have one
//   located_at head whose phrase (the words of the head Anatomy and of the anatomies
//   modifying it, e.g. "left lung base") holds a word of every location group. The phrases
//   are read from `location_text` ("|left lung base|right base|", "" without locations:
//   kb.store.neo4j.location_text), which the index on (finding, location_text, study_key,
//   start, end) holds, so a candidate mention is tested without reading its node (Neo4j
//   reads node properties slowly: 220,000 reports, opacity at left base, 61k candidates:
//   this criterion took 55-115 ms; reading location_text from each node and matching one
//   regular expression, 230-350). A phrase holds a group when, padded with spaces, it
//   contains one of the group's words padded with spaces ($located_i: [' lung ', ' lobe ',
//   …]; the line tagged `each located` is repeated once per group): what the embedded
//   store's per-phrase regular expressions test, without one (Java's took ~1.5 µs per
//   candidate). A mention whose phrases are too long for an index entry has location_text
//   '*' (kb.store.neo4j.LONG_LOCATIONS, never a phrase: `*` is no word) and is tested on its
//   `locations` array by the second part (an index seek that finds none in a real corpus).
//   Conditions after `WITH`, as in criterion_mentions; no finding returned (only a shared
//   scan, never located, needs it).
// Parameters: $finding or $findings (as criterion_mentions); $located_0 … $located_N (lists
//   of words, each with one space before and after); $modifier_0 … $modifier_N (words);
//   $section (string).
MATCH (o:Observation)
WHERE o.finding = $finding /* when finding */
WHERE o.finding IN $findings /* when findings */
  AND o.location_text IS NOT NULL AND o.study_key IS NOT NULL AND o.start IS NOT NULL AND o.`end` IS NOT NULL
WITH o WHERE any(phrase IN split(o.location_text, '|') WHERE
  any(word IN $located_{i} WHERE (' ' + phrase + ' ') CONTAINS word) AND /* each located */
  true)
WITH o WHERE $modifier_{i} IN o.modifiers /* each modifier */
WITH o WHERE o.section = $section /* when section */
RETURN o.study_key AS study_key, o.start AS start, o.`end` AS `end`
UNION ALL
MATCH (o:Observation)
WHERE o.finding = $finding /* when finding */
WHERE o.finding IN $findings /* when findings */
  AND o.location_text = '*' AND o.study_key IS NOT NULL AND o.start IS NOT NULL AND o.`end` IS NOT NULL
WITH o WHERE any(phrase IN o.locations WHERE
  any(word IN $located_{i} WHERE (' ' + phrase + ' ') CONTAINS word) AND /* each located */
  true)
WITH o WHERE $modifier_{i} IN o.modifiers /* each modifier */
WITH o WHERE o.section = $section /* when section */
RETURN o.study_key AS study_key, o.start AS start, o.`end` AS `end`
