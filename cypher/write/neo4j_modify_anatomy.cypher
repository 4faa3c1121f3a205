// Purpose: the MODIFY relations (Anatomy → Anatomy) of a batch, after its nodes (Neo4j
//   store). CREATE, not MERGE: the batch's subgraphs were just deleted in this transaction,
//   and a relation annotated twice is stored twice, as in the embedded store.
// Parameters: $rows — list of {from, to} maps of mention IDs.
UNWIND $rows AS row
MATCH (a:Anatomy {id: row.from})
MATCH (b:Anatomy {id: row.to})
CREATE (a)-[:MODIFY]->(b)
