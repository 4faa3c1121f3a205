// Purpose: fragment — an Observation mention `o` meets criterion {{c}}: its term is one of
//   the criterion's terms, its certainty one of the allowed ones, it carries every required
//   modifier term, and one of its located_at heads carries every required location word.
//   Lines marked with a `when` tag are kept only when the criterion has that part.
// Parameters: ${{c}}_terms, ${{c}}_certainty (lists of strings); ${{c}}_modifiers,
//   ${{c}}_located (lists of normalised words); ${{c}}_section (string).
o.term IN ${{c}}_terms AND o.certainty IN ${{c}}_certainty
AND ALL(x IN ${{c}}_modifiers WHERE x IN o.modifiers) /* when modifiers */
AND EXISTS { MATCH (o)-[:LOCATED_AT]->(a:Anatomy) WHERE ALL(x IN ${{c}}_located WHERE x IN a.phrase_terms) } /* when located */
AND o.section = ${{c}}_section /* when section */
