"""Every Cypher statement RadKB runs, as data files loaded by `kb.cypher`."""
