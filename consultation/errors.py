"""Typed errors of the procedure, translated to words only at the edges (CLI, Slack, email).

ConsultaError
├── ProcedureError                 a user asked for something the rules do not allow
│   ├── IllegalTransition          no such move from the consultation's state
│   │   ├── TroikaConsensusMissing distribution before every Troika country approved
│   │   ├── ConclusionBlocked      concluding while a member objects (or before all answered)
│   │   └── ConsultationClosed     acting on a withdrawn or concluded consultation
│   ├── NotInTroika                a Troika answer for a country outside the Troika
│   ├── NotAMember                 a position for a country that takes no part in decisions
│   ├── SupersededVersion          a position on a version that is no longer current
│   ├── NotFound                   unknown consultation, country or contact
│   ├── NotAllowed                 the actor lacks the role for this action
│   └── InvalidInput               malformed text, days, identifiers…
├── RosterError                    a roster or contacts file that fails validation
└── OperationalError               the world failed us (database, SMTP, IMAP, Slack)
"""


class ConsultaError(Exception):
    """Base of every error consulta raises on purpose."""


class ProcedureError(ConsultaError):
    """The request breaks a rule of the procedure; nothing was changed.

    ``phrase`` names the sentence a front says for it (``templates/cli/phrases.*``: one macro
    per phrase) and ``values`` fill it, so the English message is never shown in Spanish."""

    def __init__(self, message: str, *, phrase: str = "", **values: object) -> None:
        super().__init__(message)
        self.phrase = phrase
        self.values = values


class IllegalTransition(ProcedureError):
    def __init__(self, message: str, *, state: str = "", action: str = "") -> None:
        super().__init__(message, phrase="illegal", state=state, action=action)
        self.state = state
        self.action = action


class TroikaConsensusMissing(IllegalTransition):
    pass


class ConclusionBlocked(IllegalTransition):
    pass


class ConsultationClosed(IllegalTransition):
    pass


class NotInTroika(ProcedureError):
    pass


class NotAMember(ProcedureError):
    pass


class SupersededVersion(ProcedureError):
    def __init__(self, message: str, *, given: int, current: int) -> None:
        super().__init__(message, phrase="superseded", given=given, current=current)
        self.given = given
        self.current = current


class NotFound(ProcedureError):
    pass


class NotAllowed(ProcedureError):
    pass


class InvalidInput(ProcedureError):
    pass


class RosterError(ConsultaError):
    """Each problem names the entry and the field, e.g. ``contacts[3] (Ana Pérez).emails[0]``."""

    def __init__(self, problems: list[str], *, source: str = "") -> None:
        self.problems = problems
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(problems))


class OperationalError(ConsultaError):
    pass
