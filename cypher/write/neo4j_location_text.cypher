// Purpose: readies a graph written by an older RadKB for the index on (finding,
//   location_text, …) (schema/neo4j), which located criteria read: a mention without
//   location_text gets it (its `locations` joined, as kb.store.neo4j.location_text joins them),
//   and one longer than an index entry can hold gets $long. Run by kb.store.neo4j when it
//   opens the store for writing and that index does not exist yet, before it is created, in
//   transactions of 10,000 mentions (every mention is read once: 72 s with the index build for
//   the 2.8 million mentions of 220,000 generated reports).
// Parameters: $max (kb.store.neo4j.LOCATION_TEXT_MAX), $long (kb.store.neo4j.LONG_LOCATIONS).
MATCH (o:Observation)
WHERE o.location_text IS NULL OR size(o.location_text) > $max
CALL (o) {
  WITH o, CASE WHEN size(coalesce(o.locations, [])) = 0 THEN ''
               ELSE reduce(text = '|', phrase IN o.locations | text + phrase + '|') END AS text
  SET o.location_text = CASE WHEN size(text) > $max THEN $long ELSE text END
} IN TRANSACTIONS OF 10000 ROWS
