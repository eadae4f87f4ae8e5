"""A header written as it is (`mail.headers.plain`) gives the very bytes the policy's own
parsing and folding give, under every policy a message is sent with; anything that is not plain
ASCII on one line is parsed as before."""

import copy
import email.policy
from email.headerregistry import BaseHeader
from email.message import EmailMessage
from email.policy import EmailPolicy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mail import headers
from mail.flatten import flatten
from mail.headers import _PLAIN

POLICIES: list[EmailPolicy] = [
    email.policy.SMTP,
    email.policy.SMTPUTF8,
    email.policy.SMTP.clone(cte_type="7bit"),
    email.policy.default,
]
ADDRESSED = ["To", "Reply-To", "Cc"]
NAMES = [*ADDRESSED, "Message-ID", "In-Reply-To", "References", "Subject"]

atom = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789+_-", min_size=1, max_size=12)
dot_atom = st.lists(atom, min_size=1, max_size=4).map(".".join)
address = st.builds(lambda local, domain: f"{local}@{domain}", dot_atom, dot_atom)
addresses = st.lists(address, min_size=1, max_size=6).map(", ".join)
message_id = address.map(lambda a: f"<{a}>")


def parsed(policy: EmailPolicy, name: str, value: str) -> str:
    folded: str = policy.header_factory(name, value).fold(policy=policy)
    return folded


@given(
    name_value=st.one_of(
        st.tuples(st.sampled_from(ADDRESSED), addresses),
        st.tuples(st.just("Message-ID"), message_id),
    )
)
def test_addresses_and_message_ids_are_written_as_they_are(name_value: tuple[str, str]) -> None:
    name, value = name_value
    header = headers.plain(name, value)
    assert header == value and not isinstance(header, BaseHeader)
    for policy in POLICIES:
        assert header.fold(policy=policy) == parsed(policy, name, value)  # type: ignore[attr-defined]


@given(
    name=st.sampled_from(NAMES),
    value=st.text(alphabet="ab.+_-@<>, 1", min_size=1, max_size=40),
)
def test_whatever_is_written_as_it_is_folds_as_parsed(name: str, value: str) -> None:
    """Odd values too: one the parser would repair ("<a@b") or cannot read (".@b") is parsed,
    never written as it came."""
    try:
        parsed(email.policy.default, name, value)
    except Exception:  # email's own parser breaks on a few ("<", ".<1"); none is plain
        assert _PLAIN.get(name.lower()) is None or not _PLAIN[name.lower()].fullmatch(value)
        return
    header = headers.plain(name, value)
    if isinstance(header, BaseHeader):
        return
    for policy in POLICIES:
        assert header.fold(policy=policy) == parsed(policy, name, value)  # type: ignore[attr-defined]


def test_the_service_s_own_values_are_not_parsed() -> None:
    for name, value in [
        ("To", "punto.focal@cancilleria.gob.mx, alterno@sre.gob.mx"),
        ("Message-ID", "<consulta.CRM-2026-007.v2.MX.k3j4h5@crm.example>"),
        ("Reply-To", "consultas+CRM-2026-007.2.MX.a1b2c3d4e5f6@crm.example"),
    ]:
        assert not isinstance(headers.plain(name, value), BaseHeader)


@pytest.mark.parametrize(
    "value",
    [
        "José Pérez <jose@cancilleria.example>",  # not ASCII
        '"Pérez, José" <jose@cancilleria.example>',  # quoted
        "=?utf-8?q?Jos=C3=A9?= <jose@cancilleria.example>",  # an encoded word
        "a@b.example,  c@d.example",  # two spaces
        " a@b.example",
        "<a@b.example",  # the parser adds the ">"
        ".a@b.example",
    ],
)
def test_anything_else_is_parsed(value: str) -> None:
    header = headers.plain("To", value)
    assert isinstance(header, BaseHeader)


def test_a_long_list_folds_over_lines_as_parsed() -> None:
    value = ", ".join(f"punto.focal.{n}@cancilleria-{n}.example" for n in range(12))
    header = headers.plain("To", value)
    for policy in POLICIES:
        assert header.fold(policy=policy) == parsed(policy, "To", value)  # type: ignore[attr-defined]
        assert "\n" in header.fold(policy=policy)[:-2]  # type: ignore[attr-defined]


def test_in_a_message_it_reads_and_flattens_like_any_header() -> None:
    message = EmailMessage()
    message["To"] = headers.plain("To", "a@b.example, c@d.example")
    message["Subject"] = headers.shared("Subject", "Consulta · versión 2")
    message.set_content("texto\n")
    assert message["To"] == "a@b.example, c@d.example"
    data = flatten(message, utf8=False, cte_type="8bit")
    assert b"To: a@b.example, c@d.example\r\n" in data
    assert parsed(email.policy.SMTP, "Subject", "Consulta · versión 2").encode() in data


@given(
    subtype=st.sampled_from(["alternative", "mixed", "related"]),
    boundary=st.builds(lambda _: headers.boundary(), st.integers()),
)
def test_a_multipart_type_with_its_boundary_is_written_as_it_is(
    subtype: str, boundary: str
) -> None:
    value = f'multipart/{subtype}; boundary="{boundary}"'
    header = headers.plain("Content-Type", value)
    assert not isinstance(header, BaseHeader)
    for policy in POLICIES:
        assert header.fold(policy=policy) == parsed(policy, "Content-Type", value)  # type: ignore[attr-defined]


def test_a_shared_header_is_the_parsed_one_folded_once_per_policy() -> None:
    value = 'text/plain; charset="utf-8"'
    header = headers.shared("Content-Type", value)
    assert header is headers.shared("Content-Type", value)
    assert header.params["charset"] == "utf-8"  # type: ignore[attr-defined]
    assert header.content_type == "text/plain"  # type: ignore[attr-defined]
    for policy in POLICIES:
        assert header.fold(policy=policy) == parsed(policy, "Content-Type", value)  # type: ignore[attr-defined]
    subject = headers.shared("Subject", "Consulta · versión 2 " + "palabra " * 20)
    for policy in POLICIES:
        assert subject.fold(policy=policy) == parsed(policy, "Subject", str(subject))  # type: ignore[attr-defined]


def test_a_message_of_them_copies_and_goes_out_in_7bit() -> None:
    """email's generator deep-copies a message whose 8bit text must go out as 7bit."""
    message = EmailMessage()
    message["To"] = headers.plain("To", "a@b.example")
    message["Subject"] = headers.shared("Subject", "Consulta · versión 2")
    message["Content-Type"] = headers.plain(
        "Content-Type", f'multipart/alternative; boundary="{headers.boundary()}"'
    )
    text = EmailMessage()
    text.set_content("Estimada señora: " + "ñ" * 100 + "\n", cte="8bit")
    message.set_payload([text])
    copied = copy.deepcopy(message)
    assert copied["To"] == "a@b.example" and copied["Subject"] == "Consulta · versión 2"
    seven = flatten(message, utf8=False, cte_type="7bit")
    assert seven.isascii() and b"Content-Transfer-Encoding: base64" in seven
    boundary = message.get_boundary()
    assert boundary is not None and seven.count(f"--{boundary}".encode()) == 2
