"""A message as the bytes SMTP carries, with the parts a fan-out shares flattened once.

Every reader of a version gets the same .docx: the same MIME part object in each message (see
`mail.fanout`). Flattening it (folding its headers, writing its base64 line by line) costs a
third of flattening the whole message, for bytes that never change: a part marked `frozen` is
flattened the first time and its bytes reused. Otherwise this is what aiosmtplib's
``send_message`` does (`aiosmtplib.email.flatten_message`): the SMTP policy, SMTPUTF8 when
an address needs it, 7bit when the server lacks 8BITMIME.
"""

import copy
import email.policy
import io
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from typing import Any
from weakref import WeakKeyDictionary

# A frozen part's bytes by the generator settings that shaped them.
_FROZEN: "WeakKeyDictionary[Message, dict[tuple[Any, ...], bytes]]" = WeakKeyDictionary()


def frozen(part: EmailMessage) -> EmailMessage:
    """Mark ``part`` as never changed again: flattened once, its bytes reused."""
    _FROZEN.setdefault(part, {})
    return part


def flatten(message: EmailMessage, *, utf8: bool, cte_type: str) -> bytes:
    """The message's bytes for SMTP DATA (Bcc and Resent-Bcc left out)."""
    policy = email.policy.SMTPUTF8 if utf8 else email.policy.SMTP
    if cte_type != "8bit":
        policy = policy.clone(cte_type=cte_type)
    sent = copy.copy(message)
    del sent["Bcc"]
    del sent["Resent-Bcc"]
    with io.BytesIO() as out:
        _Generator(out, policy=policy).flatten(sent)
        return out.getvalue()


class _Generator(BytesGenerator):
    """Writes a frozen part's bytes from the cache (a multipart's parts go through
    ``flatten`` of a clone of this class, so the cache is consulted at every level)."""

    def flatten(self, msg: Message, unixfrom: bool = False, linesep: str | None = None) -> None:
        known = _FROZEN.get(msg)
        if known is None:
            super().flatten(msg, unixfrom, linesep)
            return
        policy, mangle = self.policy, self._mangle_from_  # type: ignore[attr-defined]
        assert policy is not None  # set by `flatten` below and passed on to each clone
        utf8 = getattr(policy, "utf8", False)
        key = (unixfrom, linesep, policy.linesep, policy.cte_type, utf8, mangle)
        data = known.get(key)
        if data is None:
            with io.BytesIO() as out:
                BytesGenerator(out, mangle, policy=policy).flatten(msg, unixfrom, linesep)
                data = known[key] = out.getvalue()
        self._fp.write(data)  # type: ignore[attr-defined]
