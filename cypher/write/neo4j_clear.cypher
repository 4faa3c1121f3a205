// Purpose: delete the whole graph of the Neo4j store, in transactions of 10,000 nodes (tests,
//   starting over). Run as an auto-commit statement (CALL … IN TRANSACTIONS requires it).
// Parameters: none.
MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
