---- MODULE InitNext ----
\* flashcheck spec suite: a cfg naming INIT and NEXT instead of a SPECIFICATION.
EXTENDS Naturals
VARIABLES x, y
Init == x = 0 /\ y = 0
Next == \/ x < 2 /\ x' = x + 1 /\ y' = y
        \/ y < 2 /\ y' = y + 1 /\ x' = x
TypeOK == x \in 0..2 /\ y \in 0..2
Diagonal == x = y
====
