----------------------------- MODULE TokenBucket -----------------------------
(***************************************************************************)
(* The design document's TokenBucket (section 2.2) with discrete time.     *)
(*                                                                         *)
(* The bucket starts full (tokens = Capacity, as the Python __init__).     *)
(* Acquire takes one token when one is there (acquire(tokens=1); a refused *)
(* acquire changes nothing and is not a step). Each Tick adds Rate tokens, *)
(* capped at Capacity (the Python refill with elapsed = 1; its lazy refill *)
(* inside acquire is observationally the same as refilling at every tick). *)
(* recent[1] counts the acquisitions of the current tick period and        *)
(* recent[2..] those of the RateWindow periods before it, so its sum is    *)
(* what succeeded over an interval containing RateWindow ticks. Clients    *)
(* may stop for good (StopDemand, under no fairness); only the clock is    *)
(* weakly fair.                                                            *)
(*                                                                         *)
(* The Rust port is flashcheck-models' `token_bucket` module: same         *)
(* variables, same actions, same distinct-state count.                     *)
(***************************************************************************)
EXTENDS Naturals, Sequences

CONSTANTS Capacity, Rate, RateWindow

ASSUME Capacity \in 1..255 /\ Rate \in 1..255 /\ RateWindow \in 1..15

VARIABLES
    tokens,  \* tokens in the bucket
    recent,  \* acquisitions per tick period, current period first (RateWindow + 1 entries)
    demand   \* clients still call acquire

vars == <<tokens, recent, demand>>

Min(a, b) == IF a < b THEN a ELSE b

RECURSIVE SumSeq(_)
SumSeq(s) == IF s = <<>> THEN 0 ELSE Head(s) + SumSeq(Tail(s))

Acquired == SumSeq(recent)

Bound == Capacity + RateWindow * Rate

Init == /\ tokens = Capacity
        /\ recent = [i \in 1..RateWindow + 1 |-> 0]
        /\ demand = TRUE

Acquire == /\ demand
           /\ tokens >= 1
           /\ tokens' = tokens - 1
           /\ recent' = [recent EXCEPT ![1] = @ + 1]
           /\ UNCHANGED demand

Tick == /\ tokens' = Min(Capacity, tokens + Rate)
        /\ recent' = <<0>> \o SubSeq(recent, 1, RateWindow)
        /\ UNCHANGED demand

StopDemand == /\ demand
              /\ demand' = FALSE
              /\ UNCHANGED <<tokens, recent>>

Next == Acquire \/ Tick \/ StopDemand

(* Only the clock is weakly fair. *)
Spec == Init /\ [][Next]_vars /\ WF_vars(Tick)

-----------------------------------------------------------------------------
(* Properties; the Rust port defines the same names. *)

tokens_in_range == tokens >= 0 /\ tokens <= Capacity

rate_bounded == Acquired <= Bound

(* sometimes: the bound is tight *)
burst_reachable == Acquired = Bound

(* liveness: with no demand the bucket refills to capacity and stays full *)
refills == ~demand ~> [](tokens = Capacity)

=============================================================================
