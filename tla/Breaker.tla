------------------------------- MODULE Breaker -------------------------------
(***************************************************************************)
(* The circuit breaker of the design document, section 2.2 (case 13.3),   *)
(* with resilience4j's semantics.                                          *)
(*                                                                         *)
(* Closed records each call's outcome in a count-based window of the last  *)
(* WindowSize outcomes and opens when the window holds at least            *)
(* MinimumCalls outcomes and the failure rate crosses                      *)
(* ThresholdNum/ThresholdDen (">" or ">=", per Comparison). Open rejects   *)
(* every call (no call action is enabled) and counts down WaitTicks clock  *)
(* ticks, then turns HalfOpen, which admits at most Permitted probes; when *)
(* all of them succeed it closes with a fresh window, the first failure    *)
(* opens it again. Probes are admitted and complete in separate steps, so  *)
(* several can be in flight (resilience4j issues #1090, #1432).            *)
(*                                                                         *)
(* The window the breaker tripped on stays in `window` while Open and      *)
(* HalfOpen, so "it did not trip below the minimum" is a state predicate.  *)
(*                                                                         *)
(* The backend starts "flaky" and may turn "healthy" or "failing" for good *)
(* (Heal, Degrade: under no fairness). Fairness: the client's steps are    *)
(* one weakly fair group, the clock's Tick another.                        *)
(*                                                                         *)
(* The Rust port is flashcheck-models' `breaker` module: same variables,   *)
(* same actions, same distinct-state count.                                *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS MinimumCalls, WindowSize, WaitTicks, Permitted,
          ThresholdNum, ThresholdDen, Comparison

ASSUME WindowSize \in 1..16 /\ MinimumCalls \in 1..WindowSize
ASSUME WaitTicks \in 1..100 /\ Permitted \in 1..100
ASSUME ThresholdDen \in 1..1000000 /\ ThresholdNum \in 0..ThresholdDen
ASSUME Comparison \in {"greater", "greater_or_equal"}

VARIABLES
    state,        \* "closed", "open" or "half_open"
    window,       \* recorded outcomes, oldest first (TRUE: a failure)
    countdown,    \* ticks left in Open (0 otherwise)
    admitted,     \* probes admitted in this HalfOpen period
    succeeded,    \* probes of this HalfOpen period that succeeded
    backend,      \* "flaky", "healthy" or "failing"
    openAdmitted  \* history: some call was admitted while Open

vars == <<state, window, countdown, admitted, succeeded, backend, openAdmitted>>

Failures(w) == Cardinality({i \in 1..Len(w) : w[i]})

(* The rate's denominator: an empty window's rate is 0 (0 failures of "1" call), so that
   0/0 does not read as crossing ">= theta". *)
Calls(w) == IF Len(w) = 0 THEN 1 ELSE Len(w)

Crosses(w) == IF Comparison = "greater"
              THEN Failures(w) * ThresholdDen > Calls(w) * ThresholdNum
              ELSE Failures(w) * ThresholdDen >= Calls(w) * ThresholdNum

Trips(w) == Len(w) >= MinimumCalls /\ Crosses(w)

Record(w, failed) == IF Len(w) = WindowSize THEN Append(Tail(w), failed)
                                            ELSE Append(w, failed)

Init == /\ state = "closed"
        /\ window = <<>>
        /\ countdown = 0
        /\ admitted = 0
        /\ succeeded = 0
        /\ backend = "flaky"
        /\ openAdmitted = FALSE

(* Closed: a call completes and is recorded; the breaker trips on the new window. *)
Call(failed) == /\ state = "closed"
                /\ IF failed THEN backend # "healthy" ELSE backend # "failing"
                /\ window' = Record(window, failed)
                /\ IF Trips(window')
                   THEN state' = "open" /\ countdown' = WaitTicks
                   ELSE UNCHANGED <<state, countdown>>
                /\ UNCHANGED <<admitted, succeeded, backend, openAdmitted>>

Succeed == Call(FALSE)
Fail == Call(TRUE)

Probe == /\ state = "half_open"
         /\ admitted < Permitted
         /\ admitted' = admitted + 1
         /\ UNCHANGED <<state, window, countdown, succeeded, backend, openAdmitted>>

ProbeSucceed == /\ state = "half_open"
                /\ admitted > succeeded
                /\ backend # "failing"
                /\ IF succeeded + 1 = Permitted
                   THEN /\ state' = "closed"
                        /\ window' = <<>>
                        /\ admitted' = 0
                        /\ succeeded' = 0
                   ELSE /\ succeeded' = succeeded + 1
                        /\ UNCHANGED <<state, window, admitted>>
                /\ UNCHANGED <<countdown, backend, openAdmitted>>

ProbeFail == /\ state = "half_open"
             /\ admitted > succeeded
             /\ backend # "healthy"
             /\ state' = "open"
             /\ countdown' = WaitTicks
             /\ admitted' = 0
             /\ succeeded' = 0
             /\ UNCHANGED <<window, backend, openAdmitted>>

Tick == /\ state = "open"
        /\ IF countdown > 1
           THEN countdown' = countdown - 1 /\ UNCHANGED state
           ELSE countdown' = 0 /\ state' = "half_open"
        /\ UNCHANGED <<window, admitted, succeeded, backend, openAdmitted>>

Heal == /\ backend = "flaky"
        /\ backend' = "healthy"
        /\ UNCHANGED <<state, window, countdown, admitted, succeeded, openAdmitted>>

Degrade == /\ backend = "flaky"
           /\ backend' = "failing"
           /\ UNCHANGED <<state, window, countdown, admitted, succeeded, openAdmitted>>

Client == Succeed \/ Fail \/ Probe \/ ProbeSucceed \/ ProbeFail

Next == Client \/ Tick \/ Heal \/ Degrade

(* The client and the clock are weakly fair; the backend's changes are not. *)
Spec == Init /\ [][Next]_vars /\ WF_vars(Client) /\ WF_vars(Tick)

-----------------------------------------------------------------------------
(* Properties; the Rust port defines the same names. *)

no_call_while_open == ~openAdmitted

halfopen_admits_at_most_permitted == admitted <= Permitted

no_trip_below_minimum == state # "closed" => Len(window) >= MinimumCalls

(* sometimes *)
halfopen_reachable == state = "half_open"

(* liveness: if every call fails from some point on, the breaker eventually opens *)
opens_under_failure == backend = "failing" ~> state = "open"

(* liveness: if the backend stays healthy from some point on, the breaker eventually
   stays Closed *)
recovers == backend = "healthy" ~> [](state = "closed")

=============================================================================
