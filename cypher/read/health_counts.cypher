// Purpose: a cheap liveness check that also says how much the store holds (GET /health).
// Parameters: none.
MATCH (s:Study) RETURN 'studies' AS what, count(s) AS n;
MATCH (o:Observation) RETURN 'observations' AS what, count(o) AS n;
MATCH (a:Anatomy) RETURN 'anatomies' AS what, count(a) AS n
