"""The tally (DESIGN §3): standings, outcomes, the silence rule and early conclusion."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consultation.tally import Tally, may_conclude, may_conclude_early, standings, tally
from consultation.vocabulary import Outcome, PositionValue, SilenceRule, Standing

MEMBERS = ("BZ", "CA", "CR", "SV", "US", "GT", "HN", "MX", "NI", "PA", "DO")
APPROVE, AMEND, OBJECT, ABSTAIN = (
    PositionValue.APPROVE,
    PositionValue.AMEND,
    PositionValue.OBJECT,
    PositionValue.ABSTAIN,
)


def everyone(position: PositionValue, **others: PositionValue) -> dict[str, PositionValue]:
    """Every member answers ``position``, except those named (``MX=OBJECT``)."""
    return {code: others.get(code, position) for code in MEMBERS}


def count(
    answers: dict[str, PositionValue],
    *,
    open_amendments: int = 0,
    deadline_passed: bool = True,
    silence: SilenceRule = SilenceRule.NO_OBJECTION,
    members: tuple[str, ...] = MEMBERS,
) -> Tally:
    return tally(
        members,
        answers,
        open_amendments=open_amendments,
        deadline_passed=deadline_passed,
        silence=silence,
    )


# --- outcomes ------------------------------------------------------------------------------------


def test_everyone_approves_is_consensus() -> None:
    result = count(everyone(APPROVE))

    assert result.outcome is Outcome.CONSENSUS
    assert result.blocking == ()
    assert result.count(Standing.APPROVE) == 11


def test_open_amendments_without_objection_is_consensus_with_amendments() -> None:
    result = count(everyone(APPROVE, MX=AMEND, CA=AMEND), open_amendments=3)

    assert result.outcome is Outcome.CONSENSUS_WITH_AMENDMENTS
    assert result.open_amendments == 3
    assert result.blocking == ()
    assert result.with_standing(Standing.AMEND) == ("CA", "MX")


def test_amend_positions_whose_amendments_are_settled_give_consensus() -> None:
    # "consensus": no object, no *open* amendments; an amend answer alone does not hold it back.
    result = count(everyone(APPROVE, MX=AMEND), open_amendments=0)

    assert result.outcome is Outcome.CONSENSUS


def test_one_objection_blocks_and_names_the_objector() -> None:
    result = count(everyone(APPROVE, NI=OBJECT))

    assert result.outcome is Outcome.BLOCKED
    assert result.blocking == ("NI",)


def test_objection_outweighs_open_amendments() -> None:
    result = count(everyone(AMEND, US=OBJECT, HN=OBJECT), open_amendments=4)

    assert result.outcome is Outcome.BLOCKED
    assert result.blocking == ("US", "HN")


def test_an_objection_blocks_even_before_the_deadline() -> None:
    result = count({"GT": OBJECT}, deadline_passed=False)

    assert result.outcome is Outcome.BLOCKED
    assert result.blocking == ("GT",)


@pytest.mark.parametrize("silence", list(SilenceRule))
def test_abstention_does_not_block(silence: SilenceRule) -> None:
    result = count(everyone(APPROVE, PA=ABSTAIN, SV=ABSTAIN), silence=silence)

    assert result.outcome is Outcome.CONSENSUS
    assert result.blocking == ()
    assert result.with_standing(Standing.ABSTAIN) == ("SV", "PA")


def test_everyone_abstaining_is_still_consensus() -> None:
    assert count(everyone(ABSTAIN)).outcome is Outcome.CONSENSUS


def test_answers_from_outside_the_members_are_ignored() -> None:
    # An observer cannot block: only members are counted.
    result = count({**everyone(APPROVE), "AR": OBJECT, "OIM": OBJECT})

    assert result.outcome is Outcome.CONSENSUS
    assert set(result.standings) == set(MEMBERS)


# --- pending and silent --------------------------------------------------------------------------


def test_no_answer_is_pending_while_the_period_runs() -> None:
    result = standings(MEMBERS, {"MX": APPROVE}, deadline_passed=False)

    assert result["MX"] is Standing.APPROVE
    assert [code for code, s in result.items() if s is Standing.PENDING] == [
        c for c in MEMBERS if c != "MX"
    ]
    assert Standing.SILENT not in result.values()


def test_no_answer_is_silent_once_the_period_ran() -> None:
    result = standings(MEMBERS, {"MX": APPROVE}, deadline_passed=True)

    assert result["MX"] is Standing.APPROVE
    assert Counter(result.values()) == {Standing.SILENT: 10, Standing.APPROVE: 1}


def test_standings_carry_each_answer_as_its_standing() -> None:
    answers = {"BZ": APPROVE, "CA": AMEND, "CR": OBJECT, "SV": ABSTAIN}

    result = standings(("BZ", "CA", "CR", "SV"), answers, deadline_passed=True)

    assert result == {
        "BZ": Standing.APPROVE,
        "CA": Standing.AMEND,
        "CR": Standing.OBJECT,
        "SV": Standing.ABSTAIN,
    }


# --- the silence rule ----------------------------------------------------------------------------


def test_silence_is_no_objection_by_default() -> None:
    result = tally(MEMBERS, {"DO": APPROVE}, open_amendments=0, deadline_passed=True)

    assert result.outcome is Outcome.CONSENSUS
    assert result.count(Standing.SILENT) == 10


def test_under_the_explicit_rule_a_silent_member_blocks() -> None:
    answers = everyone(APPROVE)
    del answers["BZ"]

    result = count(answers, silence=SilenceRule.EXPLICIT)

    assert result.outcome is Outcome.BLOCKED
    assert result.blocking == ("BZ",)
    assert result.standings["BZ"] is Standing.SILENT


def test_under_the_explicit_rule_pending_members_would_block() -> None:
    result = count(
        {"DO": APPROVE, "PA": APPROVE}, deadline_passed=False, silence=SilenceRule.EXPLICIT
    )

    assert result.outcome is Outcome.BLOCKED
    assert set(result.blocking) == set(MEMBERS) - {"DO", "PA"}
    assert result.count(Standing.PENDING) == 9


def test_under_the_explicit_rule_everyone_answering_gives_consensus() -> None:
    result = count(everyone(APPROVE, CR=ABSTAIN), silence=SilenceRule.EXPLICIT)

    assert result.outcome is Outcome.CONSENSUS


def test_under_the_explicit_rule_objectors_and_silent_members_all_block() -> None:
    answers = everyone(APPROVE, MX=OBJECT)
    del answers["US"]

    result = count(answers, silence=SilenceRule.EXPLICIT)

    assert result.blocking == ("US", "MX")


# --- Tally helpers -------------------------------------------------------------------------------


def test_count_and_with_standing_follow_the_member_order() -> None:
    result = count({"US": OBJECT, "BZ": AMEND, "PA": AMEND}, deadline_passed=False)

    assert result.count(Standing.PENDING) == 8
    assert result.count(Standing.AMEND) == 2
    assert result.count(Standing.SILENT) == 0
    assert result.with_standing(Standing.AMEND) == ("BZ", "PA")
    assert result.with_standing(Standing.OBJECT) == ("US",)
    assert result.with_standing(Standing.APPROVE) == ()
    assert sum(result.count(s) for s in Standing) == len(MEMBERS)


# --- concluding ----------------------------------------------------------------------------------


def test_early_conclusion_when_everyone_answered_and_nobody_objects() -> None:
    result = count(everyone(APPROVE, HN=ABSTAIN), deadline_passed=False)

    assert may_conclude_early(result)
    assert may_conclude(result, deadline_passed=False)


def test_early_conclusion_allowed_with_amendments_when_everyone_answered() -> None:
    result = count(everyone(APPROVE, GT=AMEND), open_amendments=1, deadline_passed=False)

    assert result.outcome is Outcome.CONSENSUS_WITH_AMENDMENTS
    assert may_conclude_early(result)


def test_no_early_conclusion_while_one_member_is_pending() -> None:
    answers = everyone(APPROVE)
    del answers["NI"]
    result = count(answers, deadline_passed=False)

    assert result.outcome is Outcome.CONSENSUS  # what it would be...
    assert not may_conclude_early(result)  # ...but Nicaragua may still object
    assert not may_conclude(result, deadline_passed=False)


def test_no_early_conclusion_when_everyone_answered_but_one_objects() -> None:
    result = count(everyone(APPROVE, CA=OBJECT), deadline_passed=False)

    assert not may_conclude_early(result)
    assert not may_conclude(result, deadline_passed=False)


def test_after_the_deadline_silent_members_do_not_prevent_conclusion() -> None:
    result = count({"DO": APPROVE, "MX": AMEND}, open_amendments=0, deadline_passed=True)

    assert not may_conclude_early(result)  # not everyone answered
    assert may_conclude(result, deadline_passed=True)


def test_after_the_deadline_an_objection_prevents_conclusion() -> None:
    result = count(everyone(APPROVE, SV=OBJECT), deadline_passed=True)

    assert not may_conclude(result, deadline_passed=True)


def test_after_the_deadline_under_the_explicit_rule_silence_prevents_conclusion() -> None:
    result = count({"DO": APPROVE}, deadline_passed=True, silence=SilenceRule.EXPLICIT)

    assert not may_conclude(result, deadline_passed=True)


# --- properties ----------------------------------------------------------------------------------

ANSWERS = st.dictionaries(st.sampled_from(MEMBERS), st.sampled_from(PositionValue))
AMENDMENTS = st.integers(min_value=0, max_value=5)
RULES = st.sampled_from(SilenceRule)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@PROPERTY_SETTINGS
@given(answers=ANSWERS, amendments=AMENDMENTS, passed=st.booleans(), silence=RULES)
def test_property_any_objection_blocks(
    answers: dict[str, PositionValue], amendments: int, passed: bool, silence: SilenceRule
) -> None:
    objectors = {code for code, p in answers.items() if p is OBJECT}

    result = count(answers, open_amendments=amendments, deadline_passed=passed, silence=silence)

    assert objectors <= set(result.blocking)
    assert (result.outcome is Outcome.BLOCKED) == bool(result.blocking)
    if objectors:
        assert result.outcome is Outcome.BLOCKED
        assert not may_conclude(result, deadline_passed=passed)


@PROPERTY_SETTINGS
@given(answers=ANSWERS, passed=st.booleans())
def test_property_no_objection_and_nothing_open_is_consensus_under_no_objection(
    answers: dict[str, PositionValue], passed: bool
) -> None:
    answers = {code: p for code, p in answers.items() if p is not OBJECT}

    result = count(answers, open_amendments=0, deadline_passed=passed)

    assert result.outcome is Outcome.CONSENSUS
    assert result.blocking == ()
    assert may_conclude(result, deadline_passed=True)


@PROPERTY_SETTINGS
@given(answers=ANSWERS, amendments=st.integers(1, 5), passed=st.booleans())
def test_property_no_objection_with_open_amendments_is_consensus_with_amendments(
    answers: dict[str, PositionValue], amendments: int, passed: bool
) -> None:
    answers = {code: p for code, p in answers.items() if p is not OBJECT}

    result = count(answers, open_amendments=amendments, deadline_passed=passed)

    assert result.outcome is Outcome.CONSENSUS_WITH_AMENDMENTS


@PROPERTY_SETTINGS
@given(
    answers=ANSWERS,
    amendments=AMENDMENTS,
    passed=st.booleans(),
    silence=RULES,
    order=st.permutations(MEMBERS),
)
def test_property_outcome_does_not_depend_on_member_order(
    answers: dict[str, PositionValue],
    amendments: int,
    passed: bool,
    silence: SilenceRule,
    order: list[str],
) -> None:
    base = count(answers, open_amendments=amendments, deadline_passed=passed, silence=silence)
    shuffled = count(
        answers,
        open_amendments=amendments,
        deadline_passed=passed,
        silence=silence,
        members=tuple(order),
    )

    assert shuffled.outcome is base.outcome
    assert set(shuffled.blocking) == set(base.blocking)
    assert shuffled.standings == base.standings
    assert may_conclude_early(shuffled) == may_conclude_early(base)


@PROPERTY_SETTINGS
@given(answers=ANSWERS, amendments=AMENDMENTS, passed=st.booleans(), silence=RULES)
def test_property_early_conclusion_iff_all_answered_and_none_objects(
    answers: dict[str, PositionValue], amendments: int, passed: bool, silence: SilenceRule
) -> None:
    result = count(answers, open_amendments=amendments, deadline_passed=passed, silence=silence)

    everyone_answered = set(answers) == set(MEMBERS)
    nobody_objects = OBJECT not in answers.values()
    assert may_conclude_early(result) == (everyone_answered and nobody_objects)
