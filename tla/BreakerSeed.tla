----------------------------- MODULE BreakerSeed -----------------------------
(***************************************************************************)
(* The design document's breaker formula (section 2.2, case 13.3), read    *)
(* literally:                                                              *)
(*                                                                         *)
(*   CircuitBreaker(t) = Open      if ErrorRate(t) > theta                 *)
(*                       HalfOpen  if TimeSinceOpen > Delta t              *)
(*                       Closed    otherwise                               *)
(*                                                                         *)
(* `state` is recomputed by this formula after every step, as a function  *)
(* of the current count-based window (the last WindowSize outcomes; an     *)
(* empty window has rate 0) and of sinceOpen, the ticks since the breaker  *)
(* last became Open (saturating at WaitTicks + 1, i.e. "> Delta t").       *)
(* Before the first opening TimeSinceOpen is taken as not exceeding        *)
(* Delta t. Open rejects calls; Closed and HalfOpen admit every call (the  *)
(* formula names no probe limit). The formula ignores MinimumCalls and     *)
(* Permitted; the properties still state the settings.                     *)
(*                                                                         *)
(* Backend, fairness and history variables are as in Breaker.tla. The Rust *)
(* port is flashcheck-models' `breaker_seed` module.                       *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS MinimumCalls, WindowSize, WaitTicks, Permitted,
          ThresholdNum, ThresholdDen, Comparison

ASSUME WindowSize \in 1..16 /\ MinimumCalls \in 1..WindowSize
ASSUME WaitTicks \in 1..100 /\ Permitted \in 1..100
ASSUME ThresholdDen \in 1..1000000 /\ ThresholdNum \in 0..ThresholdDen
ASSUME Comparison \in {"greater", "greater_or_equal"}

VARIABLES
    state,        \* the formula's value: "closed", "open" or "half_open"
    window,       \* recorded outcomes, oldest first (TRUE: a failure)
    opened,       \* the breaker has been Open at least once
    sinceOpen,    \* ticks since it last became Open, saturating at WaitTicks + 1
    halfCalls,    \* calls admitted while HalfOpen in a row, saturating at Permitted + 1
    backend,      \* "flaky", "healthy" or "failing"
    openAdmitted  \* history: some call was admitted while Open

vars == <<state, window, opened, sinceOpen, halfCalls, backend, openAdmitted>>

Failures(w) == Cardinality({i \in 1..Len(w) : w[i]})

(* The rate's denominator: an empty window's rate is 0 (0 failures of "1" call), so that
   0/0 does not read as crossing ">= theta". *)
Calls(w) == IF Len(w) = 0 THEN 1 ELSE Len(w)

(* ErrorRate(w) > theta (or >=), exactly, in integers *)
Crosses(w) == IF Comparison = "greater"
              THEN Failures(w) * ThresholdDen > Calls(w) * ThresholdNum
              ELSE Failures(w) * ThresholdDen >= Calls(w) * ThresholdNum

Record(w, failed) == IF Len(w) = WindowSize THEN Append(Tail(w), failed)
                                            ELSE Append(w, failed)

Min(a, b) == IF a < b THEN a ELSE b

(* The seed's formula. *)
Mode(w, o, t) == IF Crosses(w) THEN "open"
                 ELSE IF o /\ t > WaitTicks THEN "half_open"
                 ELSE "closed"

Init == /\ window = <<>>
        /\ opened = FALSE
        /\ sinceOpen = 0
        /\ halfCalls = 0
        /\ backend = "flaky"
        /\ openAdmitted = FALSE
        /\ state = Mode(window, opened, sinceOpen)

(* Closed or HalfOpen: a call completes and is recorded. *)
Call(failed) == /\ state # "open"
                /\ IF failed THEN backend # "healthy" ELSE backend # "failing"
                /\ window' = Record(window, failed)
                /\ IF Crosses(window')
                   THEN opened' = TRUE /\ sinceOpen' = 0
                   ELSE UNCHANGED <<opened, sinceOpen>>
                /\ halfCalls' = IF state = "half_open" THEN Min(halfCalls + 1, Permitted + 1)
                                                      ELSE 0
                /\ state' = Mode(window', opened', sinceOpen')
                /\ UNCHANGED <<backend, openAdmitted>>

Succeed == Call(FALSE)
Fail == Call(TRUE)

Tick == /\ opened
        /\ sinceOpen <= WaitTicks
        /\ sinceOpen' = sinceOpen + 1
        /\ state' = Mode(window, opened, sinceOpen')
        /\ UNCHANGED <<window, opened, halfCalls, backend, openAdmitted>>

Heal == /\ backend = "flaky"
        /\ backend' = "healthy"
        /\ UNCHANGED <<state, window, opened, sinceOpen, halfCalls, openAdmitted>>

Degrade == /\ backend = "flaky"
           /\ backend' = "failing"
           /\ UNCHANGED <<state, window, opened, sinceOpen, halfCalls, openAdmitted>>

Client == Succeed \/ Fail

Next == Client \/ Tick \/ Heal \/ Degrade

(* The client and the clock are weakly fair; the backend's changes are not. *)
Spec == Init /\ [][Next]_vars /\ WF_vars(Client) /\ WF_vars(Tick)

-----------------------------------------------------------------------------
(* Properties: Breaker.tla's, by the same names. *)

no_call_while_open == ~openAdmitted

halfopen_admits_at_most_permitted == halfCalls <= Permitted

no_trip_below_minimum == state # "closed" => Len(window) >= MinimumCalls

halfopen_reachable == state = "half_open"

opens_under_failure == backend = "failing" ~> state = "open"

recovers == backend = "healthy" ~> [](state = "closed")

=============================================================================
