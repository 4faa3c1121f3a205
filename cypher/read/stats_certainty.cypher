// Purpose: observation mentions by certainty.
// Parameters: none.
MATCH (o:Observation) RETURN o.certainty AS certainty, count(o) AS n ORDER BY certainty
