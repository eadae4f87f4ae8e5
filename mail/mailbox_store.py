"""The IMAP listener's place kept in the database, so a restart resumes where it stopped."""

from store.database import Database
from store.tables import MailboxStateRow


class StoredMailboxState:
    """A `MailboxState` whose `save` commits before returning."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, mailbox: str) -> tuple[int | None, int]:
        async with self._db.session() as session:
            row = await session.get(MailboxStateRow, mailbox)
            return (row.uidvalidity, row.last_uid) if row else (None, 0)

    async def save(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        async with self._db.transaction() as session:
            await session.merge(
                MailboxStateRow(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid)
            )
