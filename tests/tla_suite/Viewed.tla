---- MODULE Viewed ----
\* flashcheck spec suite: a step counter that the VIEW leaves out of a state's identity.
EXTENDS Naturals
VARIABLES light, steps
Init == light = "red" /\ steps = 0
Next == /\ light' = CASE light = "red" -> "green" [] light = "green" -> "yellow" [] OTHER -> "red"
        /\ steps' = steps + 1
Spec == Init /\ [][Next]_<<light, steps>>
View == light
Colour == light \in {"red", "green", "yellow"}
====
