---- MODULE Post ----
\* flashcheck spec suite: POSTCONDITIONs over TLC's statistics, one true and one false.
EXTENDS Naturals, TLC
VARIABLE x
Init == x = 0
Next == x < 4 /\ x' = x + 1
Spec == Init /\ [][Next]_x
FiveStates == TLCGet("distinct") = 5
SixStates == TLCGet("distinct") = 6
====
