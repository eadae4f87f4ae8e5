"""Reading aioimaplib's responses: UIDVALIDITY, SEARCH results, FETCH items, UID sets.

Pure functions over the lines aioimaplib hands back (bytes for protocol lines, bytearray for
literals such as a message body).
"""

import re
from collections.abc import Iterator, Sequence
from typing import Any

from mail.imap_config import ImapServerError


def quote(name: str) -> str:
    # RFC 3501 §9 quoted string: mailbox names may hold spaces.
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def text(response: Any) -> str:
    lines = [bytes(line) for line in response.lines if isinstance(line, bytes | bytearray)]
    return b" ".join(lines).decode(errors="replace")


def check(response: Any, what: str) -> Any:
    if response.result != "OK":
        raise ImapServerError(f"{what}: {response.result} {text(response)}")
    return response


_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_FETCH_START = re.compile(rb"\d+ FETCH \(")
_FETCH_UID = re.compile(rb"UID (\d+)")
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
EXISTS = re.compile(rb"\d+ EXISTS")
EXISTS_LINE = re.compile(rb"\* \d+ EXISTS")


def uidvalidity(lines: Sequence[Any]) -> int:
    for line in lines:
        if isinstance(line, bytes) and (match := _UIDVALIDITY.search(line)):
            return int(match.group(1))
    raise ImapServerError("SELECT gave no UIDVALIDITY")  # RFC 3501 §6.3.1 makes it mandatory


def search_uids(lines: Sequence[Any]) -> list[int]:
    # aioimaplib strips "* SEARCH"; the last line is the tagged completion's text.
    return [int(n) for line in lines[:-1] for n in bytes(line).split() if n.isdigit()]


def fetched(lines: Sequence[Any]) -> Iterator[tuple[int, bytes]]:
    """(uid, raw) for each message of a `UID FETCH … (UID BODY.PEEK[])` response.

    aioimaplib gives the literal (the message) as a bytearray between the bytes lines of the
    FETCH item; the UID may come before or after it.
    """
    uid: int | None = None
    raw: bytes | None = None
    for line in lines:
        if isinstance(line, bytearray):
            raw = bytes(line)
            continue
        if _FETCH_START.match(line):
            if uid is not None and raw is not None:
                yield uid, raw
            uid, raw = None, None
        if uid is None and (match := _FETCH_UID.search(line)):
            uid = int(match.group(1))
    if uid is not None and raw is not None:
        yield uid, raw


def sizes(lines: Sequence[Any]) -> dict[int, int]:
    """{uid: size} from a `UID FETCH … (UID RFC822.SIZE)` response."""
    found: dict[int, int] = {}
    for line in lines:
        if not isinstance(line, bytes) or not _FETCH_START.match(line):
            continue
        uid, size = _FETCH_UID.search(line), _FETCH_SIZE.search(line)
        if uid and size:
            found[int(uid.group(1))] = int(size.group(1))
    return found


def uid_set(uids: Sequence[int]) -> str:
    """RFC 3501 sequence set with runs folded: [1, 2, 3, 7] -> "1:3,7"."""
    runs: list[list[int]] = []
    for uid in sorted(uids):
        if runs and uid == runs[-1][1] + 1:
            runs[-1][1] = uid
        else:
            runs.append([uid, uid])
    return ",".join(str(a) if a == b else f"{a}:{b}" for a, b in runs)


def chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def text_of(lines: Sequence[bytes]) -> str:
    return b" ".join(bytes(line) for line in lines).decode(errors="replace")
