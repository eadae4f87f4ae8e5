"""Inbound mail: stored raw before anything reads it, then read and decided, each message in
its own transaction. Nothing is dropped silently: what cannot be recorded with confidence is
held for a person with its reasons (status ``review``). The decisions themselves (trust, the
procedure, who is told) are ``mail.processing``'s.
"""

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage
from typing import cast

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, defer
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import review
from consultation.timesource import TimeSource
from mail.authentication import AuthenticationConfig, Verdict
from mail.compose import Identity
from mail.imap import Fetched
from mail.imap_config import DEFAULT_MAX_MESSAGE_BYTES
from mail.lookups import Lookups
from mail.matching import Matching
from mail.message_keys import MessageKey, content_hash, content_of, message_key
from mail.parsing import parse_header
from mail.processing import Processing, authenticate
from mail.reader_pool import InlineReader, Reader, ReadFailed
from mail.reading import Reading
from mail.reading.nesting import too_deep
from mail.sender import Sender, read_sender
from mail.telling import Outcome
from store.database import Database, unavailable
from store.remembered import remember_in
from store.tables import InboundMessageRow

log = logging.getLogger(__name__)
# A message's row without its bytes, for the decision (they were read before).
_WITHOUT_BYTES = defer(cast(QueryableAttribute[bytes], InboundMessageRow.raw))


MAX_ATTEMPTS = 3  # then the message is held with its error and the loop goes on
_HASH_IN_THREAD = 1024 * 1024  # past this size the bytes are hashed off the event loop


@dataclass(frozen=True)
class Incoming:
    """A message as fetched: its bytes (only the header when it was over the size limit)."""

    raw: bytes
    size: int | None = None  # the whole message's, when ``raw`` is its header alone
    header_only: bool = False


@dataclass(frozen=True)
class Stored:
    """A fetched message's row: its id, whether this fetch stored it and, when it did, the
    message itself, so that processing needs not load the row it has just written."""

    id: int
    new: bool
    dedupe_key: str
    message_id: str | None
    incoming: Incoming | None
    reason: str | None = None  # ``reused_message_id``: held whatever it says
    header: EmailMessage | None = None  # parsed once by whoever read it first
    sender: Sender | None = None  # and its From, read once


class Inbox:
    def __init__(
        self,
        db: Database,
        *,
        identity: Identity,
        time: TimeSource,
        authserv_id: str | None = None,
        authentication: AuthenticationConfig | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        reader: Reader | None = None,
    ) -> None:
        self._db, self._identity, self._time = db, identity, time
        # ``authserv_id`` alone is the older way to say AuthenticationConfig(authserv_id=…).
        self._authentication = authentication or AuthenticationConfig(authserv_id=authserv_id)
        self._max_message_bytes = max_message_bytes
        # The service reads in a process pool (`mail.reader_pool`); tests and the CLI inline.
        self._reader = reader or InlineReader()

    async def receive(
        self, raw: bytes, *, size: int | None = None, header_only: bool = False
    ) -> int:
        """Store, then process; a message seen before is not processed again.

        ``header_only``: the message was over the size limit and ``raw`` is its header alone
        (``size`` is the whole message's). It goes to review, and the sender is told why.
        """
        inbound_id, new = await self.store(raw, size=size, header_only=header_only)
        if new:
            await self.process(inbound_id)
        return inbound_id

    async def store(
        self, raw: bytes, *, size: int | None = None, header_only: bool = False
    ) -> tuple[int, bool]:
        """Keep the bytes, idempotent on the Message-ID and the content (`mail.message_keys`).

        The same message fetched or delivered again is not stored twice. Another message that
        reuses a Message-ID already seen is stored too, marked ``reused_message_id``: it is
        read, but held for a person and never recorded as an answer.
        """
        key = (
            await asyncio.to_thread(message_key, raw)
            if len(raw) > _HASH_IN_THREAD
            else (message_key(raw))
        )
        try:
            async with self._db.transaction() as session:
                existing, reused = (await _earlier_batch(session, [(key, raw)]))[key.dedupe_key]
                if existing is not None:
                    return existing, False
                row = InboundMessageRow(
                    dedupe_key=key.dedupe_key,
                    message_id=key.message_id,
                    raw=raw,
                    size=len(raw) if size is None else size,
                    header_only=header_only,
                    received_at=self._time.now(),
                    reason="reused_message_id" if reused else None,
                )
                session.add(row)
                await session.flush()
                assert row.id is not None
            if reused:
                log.warning(
                    "inbound message reuses a Message-ID with other content: held",
                    extra={"inbound": row.id, "message_id": (key.message_id or "")[:200]},
                )
            return row.id, True
        except IntegrityError:  # another instance stored the same message a moment ago
            async with self._db.session() as session:
                found = await _by_key(session, key.dedupe_key)
                assert found is not None and found.id is not None
                return found.id, False

    async def store_batch(self, batch: Sequence[Incoming]) -> list[Stored]:
        """`store` for a fetched batch in one transaction and two statements (one SELECT for
        what was seen before, one INSERT for the rest): each message's row, in order. The same
        deduplication: a message stored before, or twice in the batch, is not stored again;
        another message reusing a Message-ID is marked.

        The IMAP listener stores a batch before it hands over its first message, so every
        message of the batch is kept before anything reads any of them."""
        keys = [await self._key(m.raw) for m in batch]
        try:
            async with self._db.transaction() as session:
                earlier = await _earlier_batch(
                    session, [(k, m.raw) for k, m in zip(keys, batch, strict=True)]
                )
                stored, new_rows = self._plan(batch, keys, earlier)
                if new_rows:
                    # Core, not the ORM: on SQLite the ORM writes one INSERT per row to learn
                    # its id; RETURNING the key matches ids to rows in one statement.
                    statement = insert(InboundMessageRow).returning(
                        col(InboundMessageRow.id), col(InboundMessageRow.dedupe_key)
                    )
                    connection = await session.connection()
                    written = await connection.execute(statement, new_rows)
                    ids = {key: int(row_id or 0) for row_id, key in written.all()}
                    # New rows, and the batch's second copies of them (id 0 until now).
                    stored = [replace(s, id=ids[s.dedupe_key]) if s.id == 0 else s for s in stored]
        except IntegrityError:  # another instance stored some of them a moment ago
            return [await self._stored_one(m) for m in batch]
        for one in stored:
            if one.new and one.reason == "reused_message_id":
                log.warning(
                    "inbound message reuses a Message-ID with other content: held",
                    extra={"inbound": one.id, "message_id": (one.message_id or "")[:200]},
                )
        return stored

    def _plan(
        self,
        batch: Sequence[Incoming],
        keys: list[MessageKey],
        earlier: dict[str, tuple[int | None, bool]],
    ) -> tuple[list["Stored"], list[dict[str, object]]]:
        """Each message as stored before (its id), or new (id to come) with its row's values."""
        stored: list[Stored] = []
        rows: list[dict[str, object]] = []
        here: dict[str, int] = {}  # this batch's new messages, by dedupe key: their index
        ids: set[str] = set()  # and their Message-IDs
        for message, key in zip(batch, keys, strict=True):
            if key.dedupe_key in here:  # twice in one batch: the first is the one stored
                first = stored[here[key.dedupe_key]]
                stored.append(replace(first, new=False))
                continue
            existing, reused = earlier.get(key.dedupe_key, (None, False))
            if existing is not None:
                stored.append(Stored(existing, False, key.dedupe_key, key.message_id, message))
                continue
            reused = reused or (key.message_id is not None and key.message_id in ids)
            reason = "reused_message_id" if reused else None
            here[key.dedupe_key] = len(stored)
            ids.add(key.message_id or "")
            stored.append(Stored(0, True, key.dedupe_key, key.message_id, message, reason))
            rows.append(self._values(message, key, reason))
        return stored, rows

    def _values(self, message: Incoming, key: MessageKey, reason: str | None) -> dict[str, object]:
        return {
            "dedupe_key": key.dedupe_key,
            "message_id": key.message_id,
            "raw": message.raw,
            "size": len(message.raw) if message.size is None else message.size,
            "header_only": message.header_only,
            "received_at": self._time.now(),
            "status": "stored",
            "reason": reason,
            "attempts": 0,
        }

    async def _stored_one(self, message: Incoming) -> "Stored":
        inbound_id, new = await self.store(
            message.raw, size=message.size, header_only=message.header_only
        )
        # Whether it reused a Message-ID is on its row: processing loads the row itself.
        return Stored(inbound_id, new, "", None, None)

    async def look_up(self, lookups: Lookups, addresses: Sequence[str]) -> None:
        """What a batch's messages will look up, read for all of them at once."""
        async with self._db.session() as session:
            await lookups.prefetch(session, addresses)

    async def _key(self, raw: bytes) -> MessageKey:
        if len(raw) > _HASH_IN_THREAD:
            return await asyncio.to_thread(message_key, raw)
        return message_key(raw)

    async def process(
        self, inbound_id: int, *, lookups: Lookups | None = None, stored: Stored | None = None
    ) -> Outcome | None:
        """Read and record one stored message; an unexpected failure is counted on the message
        and, at the third, the message is held with its error (a person decides, nothing is lost).

        Three steps, so that no transaction stays open while the reader works (seconds, for a
        heavy message) and the event loop never waits on the reader: a short session loads what
        the reader needs, the reader reads (`Reader`: a process pool in the service), then one
        transaction locks the row, checks nobody decided it meanwhile, and decides.
        """
        try:
            prepared = await self._prepare(inbound_id, lookups, stored)
            if prepared is None:
                return None
            reading, held = await self._read(prepared)
            verdict = await authenticate(prepared.raw, self._authentication, header=prepared.header)
            return await self._decide(inbound_id, reading, held, verdict, lookups, prepared)
        except Exception as exc:  # noqa: BLE001 — the shunt: record, hold at the third, go on
            if unavailable(exc):  # the database, not the message: the loop waits and retries
                raise
            log.exception("inbound message %s failed", inbound_id)
            await self._count_failure(inbound_id, exc)
            return None

    async def _prepare(
        self, inbound_id: int, lookups: Lookups | None, stored: Stored | None
    ) -> "_Prepared | None":
        async with self._db.session() as session:
            row = _just_stored(stored) or await session.get(InboundMessageRow, inbound_id)
            if row is None or row.status != "stored":
                return None
            header = (stored and stored.header) or parse_header(row.raw)
            if row.header_only:  # nothing to read but the header: decided without the reader
                return _Prepared(row.raw, header, [], read=False, held=None)
            # Nobody may parse it whole: Python's parser would recurse too far. A scan of every
            # line (in a thread past a megabyte: a 20 MB message takes it ~150 ms).
            deep = (
                await asyncio.to_thread(too_deep, row.raw)
                if len(row.raw) > _HASH_IN_THREAD
                else too_deep(row.raw)
            )
            if deep:
                return _Prepared(row.raw, header, [], read=False, held="too_complex")
            processing = self._processing(
                session,
                row,
                lookups=lookups,
                header=header,
                sender=stored.sender if stored else None,
            )
            paragraphs = await processing.paragraphs()
            held = "reused_message_id" if row.reason == "reused_message_id" else None
            return _Prepared(
                row.raw,
                header,
                paragraphs,
                read=True,
                held=held,
                sender=processing.sender(),
                matching=processing.matching(),
            )

    async def _read(self, prepared: "_Prepared") -> tuple[Reading | None, str | None]:
        if not prepared.read:
            return None, prepared.held
        try:
            reading = await self._reader.read(prepared.raw, prepared.paragraphs)
        except ReadFailed as failed:
            return None, failed.reason
        return _substantive(reading), prepared.held

    async def _decide(
        self,
        inbound_id: int,
        reading: Reading | None,
        held: str | None,
        verdict: Verdict,
        lookups: Lookups | None,
        prepared: "_Prepared",
    ) -> Outcome | None:
        async with self._db.transaction() as session:
            if lookups is not None:
                remember_in(session, lookups.remembered)
            # The bytes were read before (a reply with its attachments may weigh megabytes):
            # the row comes without them, and they are set as the stored value they are.
            row = await session.get(
                InboundMessageRow,
                inbound_id,
                with_for_update=True,
                options=[_WITHOUT_BYTES],
            )
            if row is None or row.status != "stored":
                return None  # decided meanwhile (another instance, a person)
            set_committed_value(row, "raw", prepared.raw)
            processing = self._processing(
                session,
                row,
                reading,
                verdict,
                lookups=lookups,
                header=prepared.header,
                sender=prepared.sender,
                matching=prepared.matching,
            )
            # The message's own row changes several times on the way (sender, reading,
            # consultation, status): written once or twice, not before every query.
            with session.no_autoflush:
                if held is not None:
                    outcome = await processing.hold(held, reading)
                else:
                    outcome = await processing.run(limit=self._max_message_bytes)
            row.status, row.reason, row.processed_at = (
                outcome.status,
                outcome.reason,
                self._time.now(),
            )
            session.add(row)
            if outcome.status == "review":  # before the PPT and the ST on Slack as well
                await review.queue_review(session, row, at=self._time.now())
            facts = {"consultation": row.consultation_id, "country": row.country}
        log.info(
            "inbound message processed",
            extra={"inbound": inbound_id, "status": outcome.status, "reason": outcome.reason}
            | {k: v for k, v in facts.items() if v is not None},
        )
        return outcome

    def _processing(
        self,
        session: AsyncSession,
        row: InboundMessageRow,
        reading: Reading | None = None,
        verdict: Verdict | None = None,
        *,
        lookups: Lookups | None = None,
        header: EmailMessage | None = None,
        sender: Sender | None = None,
        matching: Matching | None = None,
    ) -> "Processing":
        return Processing(
            session,
            row,
            self._identity,
            self._time,
            self._authentication,
            reading=reading,
            verdict=verdict,
            lookups=lookups,
            header=header,
            sender=sender,
            matching=matching,
        )

    async def process_stored(self, *, stop: asyncio.Event | None = None) -> int:
        """Pick up messages stored but not processed (a restart mid-batch, earlier failures),
        until ``stop`` is set (the rest waits for the next start: they are stored)."""
        async with self._db.session() as session:
            query = select(InboundMessageRow.id).where(InboundMessageRow.status == "stored")
            ids = list((await session.exec(query.order_by(col(InboundMessageRow.id)))).all())
        done = 0
        for inbound_id in ids:
            if stop is not None and stop.is_set():
                break
            assert inbound_id is not None
            await self.process(inbound_id)
            done += 1
        return done

    async def _count_failure(self, inbound_id: int, exc: Exception) -> None:
        async with self._db.transaction() as session:
            row = await session.get(InboundMessageRow, inbound_id)
            if row is None:
                return
            row.attempts += 1
            row.error = f"{type(exc).__name__}: {exc}"[:2000]
            session.add(row)
            if row.attempts < MAX_ATTEMPTS or row.status != "stored":
                return
            # A held reply like any other: on the boards, in the digest, before the PPT and
            # the ST. Tied to its consultation if its header says which; if even that fails,
            # it waits unlinked (the error is on the row for whoever looks).
            try:
                async with session.begin_nested():
                    await self._processing(session, row).hold("processing_failed")
            except Exception:  # noqa: BLE001 — the message is held whatever its header holds
                log.exception("inbound message %s: its header cannot be read", inbound_id)
            row.status, row.reason, row.processed_at = (
                "review",
                "processing_failed",
                self._time.now(),
            )
            session.add(row)
            await review.queue_review(session, row, at=self._time.now())
            log.error(
                "inbound message held after %d failed tries",
                row.attempts,
                extra={"inbound": inbound_id, "status": "review", "reason": "processing_failed"},
            )


class BatchIntake:
    """The IMAP listener's two calls for one inbox: a fetched batch is stored whole first
    (`Inbox.store_batch`), then each of its new messages is processed as it is handed over,
    with the batch's lookups (`mail.lookups`) read once for all of them."""

    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox
        self._stored: dict[int, Stored] = {}  # by UID
        self._lookups = Lookups()  # the current batch's

    async def store(self, batch: Sequence[Fetched]) -> None:
        incoming = [Incoming(m.raw, m.size, header_only=not m.complete) for m in batch]
        stored = [_read_header(s) for s in await self._inbox.store_batch(incoming)]
        self._lookups = Lookups()
        senders = [s.sender.address for s in stored if s.sender is not None]
        await self._inbox.look_up(self._lookups, [a for a in senders if a])
        self._stored = {m.uid: found for m, found in zip(batch, stored, strict=True)}

    async def receive(self, message: Fetched) -> None:
        found = self._stored.pop(message.uid, None)
        if found is None:  # not stored with a batch: the one-message way
            await self._inbox.receive(
                message.raw, size=message.size, header_only=not message.complete
            )
        elif found.new:
            await self._inbox.process(found.id, lookups=self._lookups, stored=found)


def _read_header(stored: Stored) -> Stored:
    if not stored.new or stored.incoming is None:
        return stored
    header = parse_header(stored.incoming.raw)
    return replace(stored, header=header, sender=read_sender(header))


def _just_stored(stored: Stored | None) -> InboundMessageRow | None:
    """The row this fetch has just written, as written (not loaded again): processing checks
    under lock that nobody decided it meanwhile."""
    if stored is None or not stored.new or stored.incoming is None:
        return None
    message = stored.incoming
    return InboundMessageRow(
        id=stored.id,
        dedupe_key=stored.dedupe_key,
        message_id=stored.message_id,
        raw=message.raw,
        size=message.size,
        header_only=message.header_only,
        received_at=datetime.min,  # not read here
        reason=stored.reason,
    )


@dataclass(frozen=True)
class _Prepared:
    """What the reader needs, loaded before it reads (outside any transaction)."""

    raw: bytes
    header: EmailMessage  # parsed once, for the reader's preparation and the decision
    paragraphs: list[str]
    read: bool  # False: decided without reading (header only, too complex)
    held: str | None  # held for a person whatever it says, and why
    sender: Sender | None = None  # read from the header while preparing, when it was
    matching: Matching | None = None


def _substantive(reading: Reading) -> Reading:
    """Automatic-reply headers (RFC 3834 ``Auto-Submitted``, ``X-Autoreply``, ``Precedence``)
    never drop a message whose words state a position, a change or a request: some ministry
    gateways stamp them on every message. Such a message is a reply, held for a person."""
    if reading.kind != "auto_reply":
        return reading
    says = reading.position or reading.amendments or reading.extension_requested
    if not (says or reading.needs_review):
        return reading
    reasons = tuple(dict.fromkeys((*reading.review_reasons, "auto_reply_with_position")))
    return replace(reading, kind="reply", needs_review=True, review_reasons=reasons)


async def _earlier_batch(
    session: AsyncSession, messages: Sequence[tuple[MessageKey, bytes]]
) -> dict[str, tuple[int | None, bool]]:
    """For each message's key: the id of the stored row that is this very message, if any,
    and whether its Message-ID was seen on another message. One query for all of them.

    Rows stored before content keys (key = the Message-ID cut at 500, or ``sha256:`` of the
    whole bytes) are compared by hashing their bytes, loaded only for them."""
    legacy = {k.dedupe_key: _legacy_key(k, raw) for k, raw in messages}
    exact = {k.dedupe_key for k, _ in messages} | set(legacy.values())
    ids = {k.message_id for k, _ in messages if k.message_id is not None}
    query = select(
        col(InboundMessageRow.id),
        col(InboundMessageRow.dedupe_key),
        col(InboundMessageRow.message_id),
    ).where(
        col(InboundMessageRow.dedupe_key).in_(exact) | col(InboundMessageRow.message_id).in_(ids)
    )
    rows = list((await session.exec(query)).all())
    found: dict[str, tuple[int | None, bool]] = {}
    for key, _ in messages:
        same_id = [
            (row_id, stored_key)
            for row_id, stored_key, message_id in rows
            if stored_key in (key.dedupe_key, legacy[key.dedupe_key])
            or (key.message_id is not None and message_id == key.message_id)
        ]
        found[key.dedupe_key] = (None, bool(same_id) and key.message_id is not None)
        for row_id, stored_key in same_id:
            if await _same_content(session, row_id, stored_key, key):
                found[key.dedupe_key] = (row_id, False)
                break
    return found


def _legacy_key(key: MessageKey, raw: bytes) -> str:
    """The key the same message had before content keys (see `_earlier_batch`)."""
    if key.message_id is None:
        return f"sha256:{hashlib.sha256(raw).hexdigest()}"
    return key.message_id[:500]


async def _same_content(
    session: AsyncSession, row_id: int | None, stored_key: str, key: MessageKey
) -> bool:
    if stored_key == key.dedupe_key:
        return True
    content = content_of(stored_key)
    if content is None:  # an older key: only the bytes tell
        row = await session.get(InboundMessageRow, row_id)
        content = content_hash(row.raw) if row is not None else None
    return content == key.content


async def _by_key(session: AsyncSession, key: str) -> InboundMessageRow | None:
    query = select(InboundMessageRow).where(InboundMessageRow.dedupe_key == key)
    return (await session.exec(query)).first()
