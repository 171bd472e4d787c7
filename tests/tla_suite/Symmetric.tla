---- MODULE Symmetric ----
\* flashcheck spec suite: processes that are interchangeable, reduced by SYMMETRY.
EXTENDS Naturals, FiniteSets, TLC
CONSTANT Procs
VARIABLE done
Init == done = {}
Next == \E p \in Procs \ done : done' = done \cup {p}
Spec == Init /\ [][Next]_done
Perms == Permutations(Procs)
TypeOK == done \subseteq Procs
====
