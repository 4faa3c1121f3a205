// Purpose: as criterion_mentions, for a criterion with a location: the mention must have one
//   located_at head (an Anatomy whose phrase_terms are its words and those of the anatomies
//   modifying it, e.g. [left, lung, base]) that carries every word of $located.
// Parameters: $terms, $certainty, $located (lists of strings); $modifiers (list); $section.
MATCH (o:Observation)-[:LOCATED_AT]->(a:Anatomy)
WHERE o.term IN $terms AND o.certainty IN $certainty
AND ALL(x IN $located WHERE x IN a.phrase_terms)
AND ALL(x IN $modifiers WHERE x IN o.modifiers) /* when modifiers */
AND o.section = $section /* when section */
RETURN DISTINCT o.study_id AS study_id, o.subject_id AS subject_id, o.text AS text,
       o.start AS start, o.`end` AS `end`, o.certainty AS certainty, o.section AS section
