"""Roster answers kept for one batch of work, so a burst of replies does not ask them again.

Each reply of a fetched batch asks the same questions of the roster: who holds the PPT's seat
(its live status refresh), who are the answering country's focal points (their receipt), how
many members there are (whether the round is complete), the country itself. The answers change
only when the roster is imported; a change lands with the next batch, as `mail.lookups` already
does for the senders. A batch attaches one `Remembered` to each of its sessions
(`remember_in`); a session without one asks the store every time, as everything else does.
A version's text is remembered too: it never changes once written.

Only what is read is kept: the rows are never changed or added to another session.
"""

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

_INFO_KEY = "consulta.remembered"
T = TypeVar("T")


class Remembered:
    def __init__(self) -> None:
        self._answers: dict[Hashable, Any] = {}


def remember_in(session: AsyncSession, remembered: Remembered | None) -> None:
    """Let this session's roster queries answer from (and fill) ``remembered``."""
    if remembered is not None:
        session.info[_INFO_KEY] = remembered


async def remembered(session: AsyncSession, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
    """The answer kept under ``key`` for this session's batch, else ``load()``'s."""
    kept = session.info.get(_INFO_KEY)
    if not isinstance(kept, Remembered):
        return await load()
    if key not in kept._answers:
        kept._answers[key] = await load()
    answer: T = kept._answers[key]
    return answer
