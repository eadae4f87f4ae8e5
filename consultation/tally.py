"""Counting a version (DESIGN §3): standings per member, the outcome, and when to conclude early."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from consultation.vocabulary import Outcome, PositionValue, SilenceRule, Standing


@dataclass(frozen=True)
class Tally:
    standings: dict[str, Standing]  # member code -> standing on the current version
    outcome: Outcome
    blocking: tuple[str, ...]  # members that keep consensus from forming
    open_amendments: int

    def count(self, standing: Standing) -> int:
        return sum(1 for s in self.standings.values() if s is standing)

    def with_standing(self, standing: Standing) -> tuple[str, ...]:
        return tuple(code for code, s in self.standings.items() if s is standing)


def standings(
    members: Iterable[str], answers: Mapping[str, PositionValue], *, deadline_passed: bool
) -> dict[str, Standing]:
    """Each member's answer, else ``pending`` while the period runs and ``silent`` once it ran."""
    absent = Standing.SILENT if deadline_passed else Standing.PENDING
    return {code: Standing(answers[code]) if code in answers else absent for code in members}


def tally(
    members: Iterable[str],
    answers: Mapping[str, PositionValue],
    *,
    open_amendments: int,
    deadline_passed: bool,
    silence: SilenceRule = SilenceRule.NO_OBJECTION,
) -> Tally:
    """The outcome if the period closed now.

    ``blocked`` when any member objects (or, under the explicit rule, has not answered);
    ``consensus_with_amendments`` when amendments are still open; otherwise ``consensus``.
    Pending members count like silent ones: this is what the count *would* be.
    """
    by_member = standings(members, answers, deadline_passed=deadline_passed)
    blocking = tuple(code for code, s in by_member.items() if _blocks(s, silence))
    if blocking:
        outcome = Outcome.BLOCKED
    elif open_amendments > 0:
        outcome = Outcome.CONSENSUS_WITH_AMENDMENTS
    else:
        outcome = Outcome.CONSENSUS
    return Tally(by_member, outcome, blocking, open_amendments)


def may_conclude_early(result: Tally) -> bool:
    """Before the deadline only when every member has answered and none objects."""
    answered = all(s not in (Standing.PENDING, Standing.SILENT) for s in result.standings.values())
    return answered and result.outcome is not Outcome.BLOCKED


def may_conclude(result: Tally, *, deadline_passed: bool) -> bool:
    if deadline_passed:
        return result.outcome is not Outcome.BLOCKED
    return may_conclude_early(result)


def _blocks(standing: Standing, silence: SilenceRule) -> bool:
    if standing is Standing.OBJECT:
        return True
    absent = standing in (Standing.PENDING, Standing.SILENT)
    return absent and silence is SilenceRule.EXPLICIT


def hangs_on(result: Tally, undecided: Iterable[str]) -> tuple[str, ...]:
    """The members whose held replies could change the outcome if counted.

    A block stands while any blocking member has nothing held that might lift it; otherwise
    any held reply may still bring an objection or an amendment.
    """
    held = set(undecided)
    waiting = tuple(code for code in result.standings if code in held)
    if result.outcome is Outcome.BLOCKED:
        return result.blocking if set(result.blocking) <= set(waiting) else ()
    return waiting
