"""The strict From reader, the Authentication-Results reader and signed Message-ID nonces."""

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from consultation import held
from consultation.vocabulary import Language
from mail import tokens
from mail.authentication import aligned, parse_stamp, stamps_verdict
from mail.sender import SenderProblem, read_sender

GT = "puntofocal@cancilleria.gt.example"
SECRET = b"a-test-secret-of-enough-length"


def message(*headers: str) -> EmailMessage:
    raw = ("\r\n".join(headers) + "\r\nSubject: x\r\n\r\nbody\r\n").encode()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(
    ("headers", "address", "problem"),
    [
        ((f"From: {GT}",), GT, None),
        ((f"From: Punto Focal <{GT}>",), GT, None),
        ((f'From: "Focal, Punto" <{GT.upper()}>',), GT, None),
        ((f"From: =?utf-8?q?Punto_Focal_Guatemala?= <{GT}>",), GT, None),
        ((f"From: J. Smith <{GT}>",), GT, None),  # obsolete but unambiguous
        ((f"From: {GT} (Punto Focal)",), GT, None),
        ((f"From: Punto Focal\r\n <{GT}>",), GT, None),  # folded
        ((f"From: {GT}", f"Sender: {GT}"), GT, None),
        ((), None, SenderProblem.NO_FROM),
        (("From: ",), None, SenderProblem.NO_FROM),
        (("From: <>",), None, SenderProblem.NO_FROM),
        (("From: puntofocal",), None, SenderProblem.AMBIGUOUS_FROM),
        ((f"From: {GT}, attacker@evil.example",), None, SenderProblem.AMBIGUOUS_FROM),
        ((f"From: {GT}", "From: attacker@evil.example"), None, SenderProblem.AMBIGUOUS_FROM),
        ((f"From: undisclosed: {GT};",), None, SenderProblem.AMBIGUOUS_FROM),
        ((f"From: <{GT}>attacker@evil.example",), None, SenderProblem.AMBIGUOUS_FROM),
        ((f"From: {GT} <attacker@evil.example>",), None, SenderProblem.AMBIGUOUS_FROM),
        (("From: a@b@evil.example",), None, SenderProblem.AMBIGUOUS_FROM),
        ((f"From: {GT}", "Sender: attacker@evil.example"), None, SenderProblem.SENDER_DIFFERS),
        ((f"From: {GT}", f"Sender: {GT}", f"Sender: {GT}"), None, SenderProblem.SENDER_DIFFERS),
    ],
)
def test_the_from_reader(
    headers: tuple[str, ...], address: str | None, problem: SenderProblem | None
) -> None:
    sender = read_sender(message(*headers))
    assert (sender.address, sender.problem) == (address, problem)


def test_a_quoted_address_as_display_name_is_the_real_address() -> None:
    """``"focal@gt" <attacker@evil>``: both readers agree it is the attacker; so do we."""
    sender = read_sender(message(f'From: "{GT}" <attacker@evil.example>'))
    assert sender.address == "attacker@evil.example"


@pytest.mark.parametrize(
    ("value", "authserv_id", "results"),
    [
        ("mx.crm.example; dmarc=pass", "mx.crm.example", [("dmarc", "pass")]),
        ("mx.crm.example 1; dmarc=fail", "mx.crm.example", [("dmarc", "fail")]),
        (
            "mx.crm.example (our MX) 1 (v); dmarc=fail (p=reject)",
            "mx.crm.example",
            [("dmarc", "fail")],
        ),
        ("mx.crm.example;\r\n\tdmarc=\r\n\tfail", "mx.crm.example", [("dmarc", "fail")]),
        (
            "mx.crm.example; dkim=pass header.d=gt.example;\r\n spf=pass smtp.mailfrom=gt.example",
            "mx.crm.example",
            [("dkim", "pass"), ("spf", "pass")],
        ),
        ("mx.crm.example; none", "mx.crm.example", []),
    ],
    ids=["plain", "version", "comments", "folded", "several", "none"],
)
def test_the_stamp_reader(value: str, authserv_id: str, results: list[tuple[str, str]]) -> None:
    stamp = parse_stamp(value)
    assert stamp.readable and stamp.authserv_id == authserv_id
    assert [(r.method, r.result) for r in stamp.results] == results


def test_an_unreadable_stamp_keeps_its_authserv_id() -> None:
    stamp = parse_stamp("(c) mx.crm.example; dmarc=pass; ===;;")
    assert (stamp.authserv_id, stamp.readable) == ("mx.crm.example", False)


OURS = "mx.crm.example"
PASS = f"{OURS}; dmarc=pass header.from=gt.example"


@pytest.mark.parametrize(
    ("headers", "authenticated", "detail"),
    [
        ([PASS], True, None),
        ([f"{OURS}; dkim=pass header.d=gt.example"], True, None),
        ([f"{OURS}; dkim=pass header.d=mail.gt.example"], True, None),  # a subdomain signs
        ([f"{OURS}; dkim=pass header.d=evil.example"], False, "not_aligned"),
        ([f"{OURS}; dmarc=pass header.from=evil.example"], False, "not_aligned"),
        ([f"{OURS}; dkim=fail header.d=gt.example"], False, "not_aligned"),
        ([], False, "no_results"),
        (["evil.example; dmarc=pass"], False, "no_results"),
        ([PASS, f"{OURS}; dmarc=fail"], False, "dmarc_fail"),  # a forged pass above ours
        ([f"{OURS}; dmarc=fail", PASS], False, "dmarc_fail"),
        ([PASS, f"{OURS}; dkim=none"], False, "disagree"),
        ([f"{OURS.upper()} 1; dmarc=pass"], True, None),
        ([PASS, f"{OURS}; ==="], False, "unreadable"),
        (["evil.example; dmarc=fail", PASS], True, None),  # others' stamps count for nothing
    ],
)
def test_our_stamps_verdict(headers: list[str], authenticated: bool, detail: str | None) -> None:
    verdict = stamps_verdict(headers, OURS, "gt.example")
    assert (verdict.authenticated, verdict.detail) == (authenticated, detail)


@pytest.mark.parametrize(
    ("signer", "domain", "expected"),
    [
        ("gt.example", "gt.example", True),
        ("GT.example.", "gt.example", True),
        ("mail.gt.example", "gt.example", True),
        ("gt.example", "cancilleria.gt.example", True),
        ("a.gt.example", "b.gt.example", False),  # no Public Suffix List: stricter
        ("evilgt.example", "gt.example", False),
        ("", "gt.example", False),
    ],
)
def test_relaxed_alignment(signer: str, domain: str, expected: bool) -> None:
    assert aligned(signer, domain) is expected


def make_mid(row: int, secret: bytes = SECRET, country: str = "GT") -> str:
    nonce = tokens.signed_nonce(
        consultation_id="CRM-2026-001", version=1, country=country, row_id=row, secret=secret
    )
    return tokens.message_id(
        consultation_id="CRM-2026-001",
        version=1,
        country=country,
        domain="crm.example",
        nonce=nonce,
    )


def test_a_signed_message_id_verifies_and_is_deterministic() -> None:
    assert make_mid(7) == make_mid(7)  # a retry resends the very same Message-ID
    parts = tokens.verified_message_id(
        make_mid(7), domain="crm.example", secrets=[b"x" * 20, SECRET]
    )
    assert parts == ("CRM-2026-001", 1, "GT")


@pytest.mark.parametrize(
    "mid",
    [
        "<consulta.CRM-2026-001.v1.GT.o7@crm.example>",  # unsigned, as before issue #13
        make_mid(7).replace(".GT.", ".CR."),  # the tag is for Guatemala
        make_mid(7).replace("o7-", "o8-"),  # for another row
        make_mid(7, secret=b"another-secret-of-enough-length"),
        make_mid(7).replace("crm.example", "evil.example"),
    ],
)
def test_an_unsigned_or_altered_message_id_proves_nothing(mid: str) -> None:
    assert tokens.verified_message_id(mid, domain="crm.example", secrets=[SECRET]) is None


def test_a_reply_token_tag_is_not_a_message_id_tag() -> None:
    """Domain separation: the same key signs both, for different contexts."""
    token = tokens.make_token(
        consultation_id="CRM-2026-001", version=1, country="GT", secret=SECRET
    )
    tag = token.rsplit(".", 1)[1]
    mid = f"<consulta.CRM-2026-001.v1.GT.o7-{tag}@crm.example>"
    assert tokens.verified_message_id(mid, domain="crm.example", secrets=[SECRET]) is None


@pytest.mark.parametrize("reason", list(held.HoldReason))
def test_every_hold_reason_has_words_in_both_languages(reason: held.HoldReason) -> None:
    es, en = held.describe(reason.value, Language.ES), held.describe(reason.value, Language.EN)
    assert reason.value not in es and reason.value not in en
    assert es != en and "_" not in es + en
