---- MODULE Hungry ----
\* flashcheck spec suite: every state holds a set one larger than its predecessor's, so the
\* memory an engine keeps grows quadratically with the states it has seen (stopped by
\* --max-memory).
EXTENDS Naturals, FiniteSets
VARIABLE seen
Init == seen = {0}
Next == seen' = seen \cup {Cardinality(seen)}
Spec == Init /\ [][Next]_seen
NonEmpty == seen /= {}
====
