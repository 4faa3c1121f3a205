// Purpose: fragment — a study has a mention meeting one criterion. {{mention_filter}} is the
//   criterion's mention predicate on `o` (criterion_mention.cypher), built from parameters only.
// Parameters: those of the mention predicate.
EXISTS { MATCH (s)-[:HAS_OBSERVATION]->(o:Observation) WHERE {{mention_filter}} }
