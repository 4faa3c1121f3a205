// Purpose: whether the store holds any study (an ingest into an empty embedded store stages
//   its batches and copies them in at once: kb/store/embedded.py).
// Parameters: none.
MATCH (s:Study)
RETURN s.study_key AS study_key
LIMIT 1
