// Purpose: the names of the Neo4j store's indexes (kb.store.neo4j: whether the store has
//   the index that cohort criteria need, or was written by an older RadKB).
// Parameters: none.
SHOW INDEXES YIELD name
RETURN name
