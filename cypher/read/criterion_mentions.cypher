// Purpose: the Observation mentions that meet one cohort criterion, as evidence rows: the
//   term is one of $terms, the certainty one of $certainty, every required modifier term
//   is among the mention's modifiers, and (located variant, criterion_mentions_located) one
//   located_at head's phrase carries every required location word.
//   Lines tagged `when <part>` are kept only when the criterion has that part.
// Parameters: $terms, $certainty (lists of strings); $modifiers, $located (lists of
//   normalised words); $section (string).
MATCH (o:Observation)
WHERE o.term IN $terms AND o.certainty IN $certainty
AND ALL(x IN $modifiers WHERE x IN o.modifiers) /* when modifiers */
AND o.section = $section /* when section */
RETURN o.study_id AS study_id, o.subject_id AS subject_id, o.text AS text, o.start AS start,
       o.`end` AS `end`, o.certainty AS certainty, o.section AS section
