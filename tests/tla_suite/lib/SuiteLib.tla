---- MODULE SuiteLib ----
\* flashcheck spec suite: a library module found only through --lib.
EXTENDS Naturals
Clamp(v, lo, hi) == IF v < lo THEN lo ELSE IF v > hi THEN hi ELSE v
====
