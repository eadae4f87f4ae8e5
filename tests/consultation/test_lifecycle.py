"""The lifecycle (DESIGN §3): every (state, action) pair, legal or not, and the diagram's moves."""

from itertools import product

import pytest

from consultation.errors import ConsultationClosed, IllegalTransition
from consultation.lifecycle import OPEN_STATES, TRANSITIONS, Action, allowed_actions, next_state
from consultation.vocabulary import State

D, T, C, Y = State.DRAFT, State.TROIKA_REVIEW, State.CONSULTING, State.TALLIED
CONCLUDED, WITHDRAWN = State.CONCLUDED, State.WITHDRAWN
CLOSED = {CONCLUDED, WITHDRAWN}

# Written out from the diagram, independently of the table under test: any change to either
# (a new state, a new action, a move added or dropped) fails a test below.
EXPECTED: dict[tuple[State, Action], State] = {
    (D, Action.EDIT_DRAFT): D,
    (D, Action.SUBMIT_TO_TROIKA): T,
    (D, Action.WITHDRAW): WITHDRAWN,
    (T, Action.TROIKA_APPROVE): T,  # one Troika country at a time
    (T, Action.TROIKA_REQUEST_CHANGES): D,
    (T, Action.SEND): C,  # guarded by the Troika's consensus in the use case
    (T, Action.WITHDRAW): WITHDRAWN,
    (C, Action.RECORD_POSITION): C,
    (C, Action.REVISE): C,  # new version, clock restarts
    (C, Action.EXTEND): C,
    (C, Action.REMIND): C,
    (C, Action.TALLY): Y,
    (C, Action.CONCLUDE): CONCLUDED,  # early conclusion, guarded by the tally
    (C, Action.WITHDRAW): WITHDRAWN,
    (Y, Action.REVISE): C,
    (Y, Action.EXTEND): C,  # an extension granted after the count reopens the period
    (Y, Action.CONCLUDE): CONCLUDED,
    (Y, Action.WITHDRAW): WITHDRAWN,
}

ALL_PAIRS = list(product(State, Action))


def walk(state: State, *actions: Action) -> State:
    for action in actions:
        state = next_state(state, action)
    return state


def test_the_table_is_the_diagram() -> None:
    assert TRANSITIONS == EXPECTED


def test_open_states_are_all_but_concluded_and_withdrawn() -> None:
    assert OPEN_STATES == set(State) - CLOSED


@pytest.mark.parametrize(("state", "action"), ALL_PAIRS, ids=[f"{s}-{a}" for s, a in ALL_PAIRS])
def test_every_state_and_action(state: State, action: Action) -> None:
    if (state, action) in EXPECTED:
        assert next_state(state, action) is EXPECTED[(state, action)]
        return
    expected_error = ConsultationClosed if state in CLOSED else IllegalTransition
    with pytest.raises(IllegalTransition) as info:
        next_state(state, action)
    assert type(info.value) is expected_error
    assert info.value.state == state.value
    assert info.value.action == action.value


@pytest.mark.parametrize("state", sorted(CLOSED))
def test_a_closed_consultation_says_so(state: State) -> None:
    with pytest.raises(ConsultationClosed, match=f"the consultation is {state.value}"):
        next_state(state, Action.RECORD_POSITION)


def test_an_illegal_move_names_the_action_and_the_state() -> None:
    with pytest.raises(IllegalTransition, match="cannot record position while .* draft"):
        next_state(D, Action.RECORD_POSITION)


# --- the diagram's moves -------------------------------------------------------------------------


def test_troika_requesting_changes_sends_the_draft_back() -> None:
    assert walk(D, Action.SUBMIT_TO_TROIKA, Action.TROIKA_REQUEST_CHANGES) is D
    assert walk(D, Action.SUBMIT_TO_TROIKA, Action.TROIKA_REQUEST_CHANGES, Action.EDIT_DRAFT) is D


def test_troika_approval_then_distribution_starts_the_consultation() -> None:
    approvals = [Action.TROIKA_APPROVE] * 3
    assert walk(D, Action.SUBMIT_TO_TROIKA, *approvals, Action.SEND) is C


def test_after_the_tally_a_revision_reopens_the_consultation() -> None:
    assert walk(C, Action.TALLY) is Y
    assert walk(C, Action.TALLY, Action.REVISE) is C


def test_extension_keeps_the_consultation_open() -> None:
    assert walk(C, Action.EXTEND, Action.EXTEND) is C
    assert walk(Y, Action.EXTEND) is C


def test_the_whole_way_from_draft_to_conclusion() -> None:
    final = walk(
        D,
        Action.EDIT_DRAFT,
        Action.SUBMIT_TO_TROIKA,
        Action.TROIKA_REQUEST_CHANGES,
        Action.EDIT_DRAFT,
        Action.SUBMIT_TO_TROIKA,
        Action.TROIKA_APPROVE,
        Action.SEND,
        Action.RECORD_POSITION,
        Action.REMIND,
        Action.REVISE,
        Action.RECORD_POSITION,
        Action.TALLY,
        Action.REVISE,
        Action.EXTEND,
        Action.TALLY,
        Action.CONCLUDE,
    )
    assert final is CONCLUDED


def test_early_conclusion_straight_from_consulting() -> None:
    assert next_state(C, Action.CONCLUDE) is CONCLUDED


@pytest.mark.parametrize("state", [D, T, C, Y])
def test_withdraw_from_every_open_state(state: State) -> None:
    assert next_state(state, Action.WITHDRAW) is WITHDRAWN


@pytest.mark.parametrize("state", sorted(CLOSED))
def test_nothing_leaves_a_closed_state(state: State) -> None:
    for action in Action:
        with pytest.raises(ConsultationClosed):
            next_state(state, action)


def test_distribution_only_after_the_troika() -> None:
    with pytest.raises(IllegalTransition):
        next_state(D, Action.SEND)
    with pytest.raises(IllegalTransition):
        next_state(C, Action.SEND)  # version 1 goes out once; later versions are revisions


# --- allowed actions -----------------------------------------------------------------------------


def test_allowed_actions_per_state() -> None:
    assert set(allowed_actions(D)) == {Action.EDIT_DRAFT, Action.SUBMIT_TO_TROIKA, Action.WITHDRAW}
    assert set(allowed_actions(T)) == {
        Action.TROIKA_APPROVE,
        Action.TROIKA_REQUEST_CHANGES,
        Action.SEND,
        Action.WITHDRAW,
    }
    assert set(allowed_actions(C)) == {
        Action.RECORD_POSITION,
        Action.REVISE,
        Action.EXTEND,
        Action.REMIND,
        Action.TALLY,
        Action.CONCLUDE,
        Action.WITHDRAW,
    }
    assert set(allowed_actions(Y)) == {
        Action.REVISE,
        Action.EXTEND,
        Action.CONCLUDE,
        Action.WITHDRAW,
    }
    assert allowed_actions(CONCLUDED) == []
    assert allowed_actions(WITHDRAWN) == []


@pytest.mark.parametrize("state", list(State))
def test_allowed_actions_are_exactly_those_next_state_accepts(state: State) -> None:
    accepted = []
    for action in Action:
        try:
            next_state(state, action)
        except IllegalTransition:
            continue
        accepted.append(action)

    assert sorted(allowed_actions(state)) == sorted(accepted)
    assert len(allowed_actions(state)) == len(set(allowed_actions(state)))


def test_every_action_is_allowed_somewhere() -> None:
    assert {action for state in State for action in allowed_actions(state)} == set(Action)
