"""Whether the domain of a message's From is authenticated, fail-closed, in the configured mode.

Two ways, chosen by settings (either, or both):

- ``authserv_id`` (``CONSULTA_MAIL__AUTHSERV_ID``): our own receiving server has checked DKIM,
  SPF and DMARC and stamped an ``Authentication-Results`` header (RFC 8601). Anyone can write
  such a header, so only those whose authserv-id is ours count (RFC 8601 §5: an MTA should strip
  headers claiming its id from incoming mail, but we do not rely on it). Headers are unfolded
  first and read with ``authres`` (versions, comments, CFWS). The domain is authenticated when
  our topmost header says ``dmarc=pass`` or an aligned ``dkim=pass``, and every other header of
  ours agrees. One of ours saying ``dmarc=fail``, ours disagreeing, one of ours unreadable, or
  none of ours at all: not authenticated.
- ``dkim_verify`` (``CONSULTA_MAIL__DKIM_VERIFY``): we verify the DKIM signatures ourselves
  (dkimpy; the keys looked up through dnspython, aimed at ``CONSULTA_MAIL__DNS_SERVERS`` or the
  system's resolvers). One valid signature whose ``d=`` is aligned with From suffices.

Alignment is RFC 7489 §3.1.1 relaxed alignment, simplified: the two domains are equal, or one
is a subdomain of the other. Without the Public Suffix List we cannot find the organisational
domain, so ``a.gt.example`` and ``b.gt.example`` are *not* aligned (stricter, never looser,
except for a signer at a public suffix itself, which no DNS operator lets anyone publish keys for).

When both modes are set, either may authenticate, but our server's ``dmarc=fail`` always wins.
When neither is set, nothing is authenticated and ``configured`` is False: the inbox then counts
only replies carrying a proof of link (see ``mail.inbound``).
"""

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import authres  # type: ignore[import-untyped]
import dkim  # type: ignore[import-untyped]
import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthenticationConfig:
    authserv_id: str | None = None
    dkim_verify: bool = False
    dns_servers: tuple[str, ...] = ()  # "192.0.2.53" or "127.0.0.1:5353"; empty: the system's
    dns_timeout: float = 5.0  # seconds for one key lookup

    @property
    def configured(self) -> bool:
        return bool(self.authserv_id) or self.dkim_verify


@dataclass(frozen=True)
class Verdict:
    authenticated: bool
    configured: bool
    # Why not, for the record and the log: dmarc_fail (the hold reason then) or a detail of
    # "unauthenticated": no_results, disagree, unreadable, not_aligned, no_valid_signature.
    detail: str | None = None

    @property
    def reason(self) -> str:
        return "dmarc_fail" if self.detail == "dmarc_fail" else "unauthenticated"


class Result(NamedTuple):
    method: str
    result: str
    properties: dict[str, str]  # "header.d" -> "gt.example"


class Stamp(NamedTuple):
    """One Authentication-Results header: who stamped it and what it found."""

    authserv_id: str
    results: tuple[Result, ...]
    readable: bool = True


async def verify(
    raw: bytes, headers: Sequence[str], domain: str, config: AuthenticationConfig
) -> Verdict:
    """The verdict on ``domain`` (From's) for one message, its raw bytes and A-R headers."""
    if not config.configured:
        return Verdict(False, False, "not_configured")
    stamped = stamps_verdict(headers, config.authserv_id, domain) if config.authserv_id else None
    if stamped is not None and (stamped.authenticated or stamped.detail == "dmarc_fail"):
        return stamped
    if config.dkim_verify:
        dnsfunc = txt_lookup(config.dns_servers, config.dns_timeout)
        if await asyncio.to_thread(dkim_aligned, raw, domain, dnsfunc):
            return Verdict(True, True)
        if stamped is None:
            return Verdict(False, True, "no_valid_signature")
    assert stamped is not None
    return stamped


def stamps_verdict(headers: Sequence[str], authserv_id: str | None, domain: str) -> Verdict:
    """Our server's verdict, read from the Authentication-Results headers (topmost first)."""
    ours = [
        s for s in map(parse_stamp, headers) if authserv_id and _same(s.authserv_id, authserv_id)
    ]
    if not ours:
        return Verdict(False, True, "no_results")
    if any(r.method == "dmarc" and r.result == "fail" for s in ours for r in s.results):
        return Verdict(False, True, "dmarc_fail")
    if not all(s.readable for s in ours):
        return Verdict(False, True, "unreadable")
    passing = [_passes(s, domain) for s in ours]
    if all(passing):
        return Verdict(True, True)
    return Verdict(False, True, "disagree" if any(passing) else "not_aligned")


def parse_stamp(value: str) -> Stamp:
    """One header's value (RFC 8601 §2.2), unfolded; an unreadable one keeps its authserv-id."""
    text = re.sub(r"\r?\n(?=[ \t])", "", str(value)).strip()
    try:
        parsed = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {text}")
    except Exception:  # noqa: BLE001 — authres raises several kinds; all mean "unreadable"
        return Stamp(_leading_id(text), (), readable=False)
    results = tuple(
        Result(
            str(r.method).lower(),
            str(r.result).lower(),
            {f"{p.type}.{p.name}".lower(): str(p.value).lower() for p in r.properties},
        )
        for r in parsed.results
    )
    return Stamp(str(parsed.authserv_id), results)


def aligned(signer: str, domain: str) -> bool:
    """RFC 7489 §3.1.1 relaxed alignment without the Public Suffix List (see the module)."""
    a, b = signer.strip().strip(".").lower(), domain.strip().strip(".").lower()
    return bool(a and b) and (a == b or a.endswith(f".{b}") or b.endswith(f".{a}"))


def dkim_aligned(raw: bytes, domain: str, dnsfunc: Callable[..., bytes | None]) -> bool:
    """Some DKIM signature in ``raw`` verifies and its ``d=`` is aligned with ``domain``."""
    try:
        checker = dkim.DKIM(raw)
        count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
    except Exception:  # noqa: BLE001 — a message dkimpy cannot even read is not authenticated
        return False
    for index in range(count):
        try:
            good = checker.verify(idx=index, dnsfunc=dnsfunc)
        except Exception as exc:  # noqa: BLE001 — DKIMException, DNS errors: this one fails
            log.info("DKIM signature %d not verified: %s", index, exc)
            continue
        signer = checker.domain.decode("ascii", "replace") if checker.domain else ""
        if good and aligned(signer, domain):
            return True
    return False


def txt_lookup(servers: Sequence[str], timeout: float) -> Callable[..., bytes | None]:
    """A dkimpy ``dnsfunc``: the TXT record of a name through our resolver, or None."""

    def get_txt(name: bytes, timeout: float = timeout) -> bytes | None:
        resolver = dns.resolver.Resolver(configure=not servers)
        if servers:
            resolver.nameservers = [_nameserver(s) for s in servers]
        qname = name.decode("ascii").rstrip(".") + "."
        try:
            answer = resolver.resolve(qname, "TXT", lifetime=timeout, raise_on_no_answer=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers):
            return None
        except dns.exception.Timeout as exc:
            raise dkim.DnsTimeoutError(str(exc)) from exc
        for rrset in answer.response.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                return b"".join(next(iter(rrset)).strings)
        return None

    return get_txt


def _nameserver(text: str) -> dns.nameserver.Nameserver:
    """``192.0.2.53``, ``127.0.0.1:5353``, ``2001:db8::53`` or ``[::1]:5353``."""
    text = text.strip()
    if text.startswith("[") and "]:" in text:
        host, port = text[1:].split("]:", 1)
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text.strip("[]"), "53"
    return dns.nameserver.Do53Nameserver(host, int(port))


def _passes(stamp: Stamp, domain: str) -> bool:
    for r in stamp.results:
        if r.method == "dmarc" and r.result == "pass":
            # header.from, when given, must be this message's From domain.
            if aligned(r.properties.get("header.from", domain), domain):
                return True
        if r.method == "dkim" and r.result == "pass":
            if aligned(r.properties.get("header.d", ""), domain):
                return True
    return False


def _same(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def _leading_id(text: str) -> str:
    """The authserv-id of a header authres cannot read: comments dropped, first word."""
    bare = re.sub(r"\([^()]*\)", " ", text)
    return bare.split(";", 1)[0].split()[0] if bare.split(";", 1)[0].split() else ""
