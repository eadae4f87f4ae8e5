"""The lifecycle (DESIGN §3) as an explicit transition table; guards live with the use cases."""

from enum import StrEnum

from consultation.errors import ConsultationClosed, IllegalTransition
from consultation.vocabulary import State


class Action(StrEnum):
    EDIT_DRAFT = "edit_draft"  # replace the text before anyone has seen it
    SUBMIT_TO_TROIKA = "submit_to_troika"
    TROIKA_APPROVE = "troika_approve"
    TROIKA_REQUEST_CHANGES = "troika_request_changes"
    SEND = "send"  # distribute version 1 to all members; the clock starts
    RECORD_POSITION = "record_position"
    REVISE = "revise"  # a new version to all members; the clock restarts
    EXTEND = "extend"
    REMIND = "remind"
    TALLY = "tally"  # the deadline was reached
    CONCLUDE = "conclude"
    WITHDRAW = "withdraw"


D, T, C, Y = State.DRAFT, State.TROIKA_REVIEW, State.CONSULTING, State.TALLIED

TRANSITIONS: dict[tuple[State, Action], State] = {
    (D, Action.EDIT_DRAFT): D,
    (D, Action.SUBMIT_TO_TROIKA): T,
    (D, Action.WITHDRAW): State.WITHDRAWN,
    (T, Action.TROIKA_APPROVE): T,
    (T, Action.TROIKA_REQUEST_CHANGES): D,
    (T, Action.SEND): C,
    (T, Action.WITHDRAW): State.WITHDRAWN,
    (C, Action.RECORD_POSITION): C,
    (C, Action.REVISE): C,
    (C, Action.EXTEND): C,
    (C, Action.REMIND): C,
    (C, Action.TALLY): Y,
    (C, Action.CONCLUDE): State.CONCLUDED,  # early: guarded by the early-conclusion rule
    (C, Action.WITHDRAW): State.WITHDRAWN,
    (Y, Action.REVISE): C,
    (Y, Action.EXTEND): C,
    (Y, Action.CONCLUDE): State.CONCLUDED,
    (Y, Action.WITHDRAW): State.WITHDRAWN,
}

OPEN_STATES = frozenset({D, T, C, Y})


def next_state(state: State, action: Action) -> State:
    """The state after ``action``, or a typed error naming why the move is not allowed."""
    target = TRANSITIONS.get((state, action))
    if target is not None:
        return target
    if state not in OPEN_STATES:
        raise ConsultationClosed(
            f"the consultation is {state.value}; nothing more can be done with it",
            state=state.value,
            action=action.value,
        )
    raise IllegalTransition(
        f"cannot {action.value.replace('_', ' ')} while the consultation is {state.value}",
        state=state.value,
        action=action.value,
    )


def allowed_actions(state: State) -> list[Action]:
    return [action for (source, action) in TRANSITIONS if source is state]
