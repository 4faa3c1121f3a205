// Purpose: the size of the knowledge base: studies, mentions by type, relations by type.
// Parameters: none.
MATCH (s:Study) RETURN 'studies' AS what, count(s) AS n;
MATCH (o:Observation) RETURN 'observations' AS what, count(o) AS n;
MATCH (a:Anatomy) RETURN 'anatomies' AS what, count(a) AS n;
MATCH (:Observation)-[r:LOCATED_AT]->(:Anatomy) RETURN 'located_at' AS what, count(r) AS n;
MATCH (:Observation)-[r:SUGGESTIVE_OF]->(:Observation) RETURN 'suggestive_of' AS what, count(r) AS n;
MATCH (:Observation)-[r:MODIFY]->(:Observation) RETURN 'modify_observation' AS what, count(r) AS n;
MATCH (:Anatomy)-[r:MODIFY]->(:Anatomy) RETURN 'modify_anatomy' AS what, count(r) AS n
