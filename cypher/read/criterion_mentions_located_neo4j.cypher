// Purpose (Neo4j; the embedded store: criterion_mentions_located_embedded): as
//   criterion_mentions, for a criterion with a location: the mention must have one
//   located_at head whose phrase (the words of the head Anatomy and of the anatomies
//   modifying it, e.g. "left lung base") holds a word of every location group. Neo4j reads a
//   string array property slowly (220,000 reports, opacity's 61k mentions: ~530 ms for
//   `o.locations`, ~100 ms for one string), so the Neo4j store also keeps the phrases as one
//   string, `location_text` ("|left lung base|right base|"; "" without locations), and tests
//   it with one regular expression, $located (kb.cohort._one_phrase): a phrase that
//   holds, as whole words, one word of each group (lookaheads, which ladybug's regular
//   expressions lack). The cohort of opacity at left base (total and a first page,
//   bench.query_bench, 220,000 reports ingested with it): median 452-484 ms, p95 632-642,
//   against 688-816 and 805-850 reading the array. A mention
//   written by an older RadKB has no location_text: its phrases are joined here instead
//   (`coalesce` evaluates that only for such a mention), so the answer is the same.
//   Conditions after `WITH`, as in criterion_mentions; no finding returned (only a shared
//   scan, never located, needs it).
// Parameters: $finding or $findings (as criterion_mentions); $located (a regular
//   expression); $modifier_0 … $modifier_N (words); $section (string).
MATCH (o:Observation)
WHERE o.finding = $finding AND o.study_key IS NOT NULL AND o.start IS NOT NULL AND o.`end` IS NOT NULL /* when finding */
WHERE o.finding IN $findings AND o.study_key IS NOT NULL AND o.start IS NOT NULL AND o.`end` IS NOT NULL /* when findings */
WITH o WHERE coalesce(o.location_text, reduce(text = '|', phrase IN o.locations | text + phrase + '|')) =~ $located
WITH o WHERE $modifier_{i} IN o.modifiers /* each modifier */
WITH o WHERE o.section = $section /* when section */
RETURN o.study_key AS study_key, o.start AS start, o.`end` AS `end`
