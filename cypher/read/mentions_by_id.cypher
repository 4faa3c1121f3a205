// Purpose: the evidence rows of cohort matches on the embedded store (Neo4j:
//   read/cohort_page_neo4j): the Observation mentions with these IDs (primary-key lookups),
//   with their text, character offsets, certainty and section.
// Parameters: $ids (list of mention IDs, `study:start-end`).
UNWIND $ids AS id
MATCH (o:Observation {id: id})
RETURN o.id AS id, o.study_id AS study_id, o.subject_id AS subject_id, o.text AS text,
       o.start AS start, o.`end` AS `end`, o.certainty AS certainty, o.section AS section
