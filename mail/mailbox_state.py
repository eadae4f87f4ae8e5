"""Where the IMAP listener keeps its place in each mailbox: UIDVALIDITY and the last UID handled."""

from typing import Protocol


class MailboxState(Protocol):
    """Persistent position of the listener, per mailbox name.

    `load` answers `(None, 0)` for a mailbox never seen. The listener saves after every message
    it handled, so an implementation should make `save` durable before returning (the store's
    implementation commits).
    """

    async def load(self, mailbox: str) -> tuple[int | None, int]: ...

    async def save(self, mailbox: str, uidvalidity: int, last_uid: int) -> None: ...


class MemoryMailboxState:
    """A `MailboxState` in a dict: for tests and for runs that may start over from scratch."""

    def __init__(self) -> None:
        self.positions: dict[str, tuple[int, int]] = {}

    async def load(self, mailbox: str) -> tuple[int | None, int]:
        return self.positions.get(mailbox, (None, 0))

    async def save(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        self.positions[mailbox] = (uidvalidity, last_uid)
