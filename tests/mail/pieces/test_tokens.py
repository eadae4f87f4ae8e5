"""Reply tokens, plus-addresses, our Message-IDs and subject tags."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mail.tokens import (
    MessageIdParts,
    SubjectTag,
    TokenClaims,
    TokenError,
    TokenForged,
    TokenMalformed,
    find_subject_tag,
    make_token,
    message_id,
    parse_message_id,
    read_token,
    reply_address,
    subject_tag,
    token_from_address,
)

KEY = b"k" * 32
OLD_KEY = b"o" * 32
DOMAIN = "crm.example.org"

IDS = st.from_regex(r"[A-Z0-9]{1,6}(?:-[A-Z0-9]{1,6}){0,2}", fullmatch=True)
VERSIONS = st.integers(min_value=1, max_value=999_999)
COUNTRIES = st.from_regex(r"[A-Z]{2,3}", fullmatch=True)


def make(
    consultation_id: str = "CRM-2026-007",
    version: int = 2,
    country: str = "MX",
    secret: bytes = KEY,
) -> str:
    return make_token(
        consultation_id=consultation_id, version=version, country=country, secret=secret
    )


# --- tokens


@given(consultation_id=IDS, version=VERSIONS, country=COUNTRIES)
def test_token_round_trip(consultation_id: str, version: int, country: str) -> None:
    token = make(consultation_id, version, country)
    assert read_token(token, secrets=[KEY]) == TokenClaims(consultation_id, version, country)


@given(consultation_id=IDS, version=VERSIONS, country=COUNTRIES)
def test_token_is_safe_in_a_local_part(consultation_id: str, version: int, country: str) -> None:
    token = make(consultation_id, version, country)
    assert token == token.lower()
    assert set(token) <= set("abcdefghijklmnopqrstuvwxyz0123456789-.")
    assert not token.startswith(".") and not token.endswith(".") and ".." not in token
    address = reply_address(local="consultas", domain=DOMAIN, token=token)
    assert len(address.split("@")[0]) <= 64


def test_token_looks_like_this() -> None:
    token = make()
    assert token.startswith("crm-2026-007.v2.mx.")
    assert len(token.rsplit(".", 1)[1]) == 16


@given(case=st.lists(st.booleans(), min_size=40, max_size=40))
def test_case_changed_token_still_reads(case: list[bool]) -> None:
    token = "".join(c.upper() if up else c for c, up in zip(make(), case, strict=False))
    assert read_token(token, secrets=[KEY]) == TokenClaims("CRM-2026-007", 2, "MX")


def test_surrounding_whitespace_is_tolerated() -> None:
    assert read_token(f" {make()}\r\n", secrets=[KEY]).version == 2


@pytest.mark.parametrize(
    "tampered",
    [
        make().replace(".v2.", ".v3."),
        make().replace(".mx.", ".gt."),
        make().replace("crm-2026-007", "crm-2026-008"),
        make(secret=b"x" * 32),
    ],
)
def test_forged_token(tampered: str) -> None:
    with pytest.raises(TokenForged):
        read_token(tampered, secrets=[KEY])


def test_flipped_tag_character_is_forged() -> None:
    token = make()
    last = "a" if token[-1] != "a" else "b"
    with pytest.raises(TokenForged):
        read_token(token[:-1] + last, secrets=[KEY])


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "hello",
        make()[:-1],  # truncated tag
        make()[:-5],
        make().rsplit(".", 1)[0],  # no tag at all
        make() + "a",  # tag too long
        make().replace(".v2.", ".v02."),  # not how we write versions
        make().replace(".v2.", ".v0."),
        make().replace(".v2.", ".2."),
        make()[:-1] + "1",  # not base32
        make().replace(".", "=", 1),
        make() + "@example.org",
    ],
)
def test_malformed_token(bad: str) -> None:
    with pytest.raises(TokenMalformed):
        read_token(bad, secrets=[KEY])


@given(cut=st.integers(min_value=1, max_value=34))
def test_any_truncation_is_rejected(cut: int) -> None:
    token = make()
    with pytest.raises(TokenError):
        read_token(token[:-cut], secrets=[KEY])
    with pytest.raises(TokenError):
        read_token(token[cut:], secrets=[KEY])


def test_token_errors_are_value_errors() -> None:
    assert issubclass(TokenMalformed, TokenError)
    assert issubclass(TokenForged, TokenError)
    assert issubclass(TokenError, ValueError)


def test_key_rotation_first_signs_all_verify() -> None:
    old_token = make(secret=OLD_KEY)
    new_token = make(secret=KEY)
    assert read_token(old_token, secrets=[KEY, OLD_KEY]).country == "MX"
    assert read_token(new_token, secrets=[KEY, OLD_KEY]).country == "MX"
    with pytest.raises(TokenForged):
        read_token(old_token, secrets=[KEY])


def test_no_secrets_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="secret"):
        read_token(make(), secrets=[])


def test_short_secret_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        make(secret=b"short")


@pytest.mark.parametrize(
    ("consultation_id", "version", "country"),
    [
        ("crm-2026-007", 2, "MX"),  # lower case would not survive a round trip
        ("CRM.2026", 2, "MX"),  # dots separate the fields
        ("CRM 2026", 2, "MX"),
        ("", 2, "MX"),
        ("CRM-2026-007", 0, "MX"),
        ("CRM-2026-007", -1, "MX"),
        ("CRM-2026-007", 2, "mx"),
        ("CRM-2026-007", 2, "MEXICO"),
    ],
)
def test_make_token_refuses_bad_fields(consultation_id: str, version: int, country: str) -> None:
    with pytest.raises(ValueError):
        make(consultation_id, version, country)


# --- plus-addresses


def test_reply_address() -> None:
    token = make()
    assert reply_address(local="consultas", domain=DOMAIN, token=token) == (
        f"consultas+{token}@{DOMAIN}"
    )


@pytest.mark.parametrize(("local", "domain"), [("cons+ultas", DOMAIN), ("", DOMAIN), ("c", "")])
def test_reply_address_refuses_bad_parts(local: str, domain: str) -> None:
    with pytest.raises(ValueError):
        reply_address(local=local, domain=domain, token=make())


def test_reply_address_refuses_a_local_part_over_64_octets() -> None:
    with pytest.raises(ValueError, match="64"):
        reply_address(local="c" * 40, domain=DOMAIN, token=make())


@pytest.mark.parametrize(
    "header",
    [
        "consultas+{t}@crm.example.org",
        "<consultas+{t}@crm.example.org>",
        "Consultas CRM <consultas+{t}@crm.example.org>",
        '"Consultas, CRM" <CONSULTAS+{t}@CRM.EXAMPLE.ORG>',
        "Consultas+{t}@crm.example.org (Consultas CRM)",
        "  consultas+{t}@crm.example.org  ",
    ],
)
def test_token_from_address(header: str) -> None:
    token = make()
    found = token_from_address(header.format(t=token), local="consultas")
    assert found is not None and found.lower() == token
    assert read_token(found, secrets=[KEY]).consultation_id == "CRM-2026-007"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "consultas@crm.example.org",
        "consultas+@crm.example.org",
        "otro+{t}@crm.example.org",
        "xconsultas+{t}@crm.example.org",
        '"consultas+{t}@crm.example.org" <punto.focal@example.gob>',
        "consultas+{t}",
        "not an address",
    ],
)
def test_no_token_in_address(header: str) -> None:
    assert token_from_address(header.format(t=make()), local="consultas") is None


def test_local_part_match_is_case_insensitive_both_ways() -> None:
    token = make()
    assert token_from_address(f"consultas+{token}@d.org", local="Consultas") == token


@given(consultation_id=IDS, version=VERSIONS, country=COUNTRIES)
def test_address_round_trip(consultation_id: str, version: int, country: str) -> None:
    token = make(consultation_id, version, country, OLD_KEY)
    address = reply_address(local="consultas", domain=DOMAIN, token=token).upper()
    found = token_from_address(f"Consultas <{address}>", local="consultas")
    assert found is not None
    assert read_token(found, secrets=[KEY, OLD_KEY]) == (consultation_id, version, country)


# --- Message-IDs


def make_mid(
    *,
    consultation_id: str = "CRM-2026-007",
    version: int = 2,
    country: str = "MX",
    domain: str = DOMAIN,
    nonce: str = "a1B2-c3_d4",
) -> str:
    return message_id(
        consultation_id=consultation_id,
        version=version,
        country=country,
        domain=domain,
        nonce=nonce,
    )


def test_message_id_shape() -> None:
    assert make_mid() == "<consulta.CRM-2026-007.v2.MX.a1B2-c3_d4@crm.example.org>"


@given(consultation_id=IDS, version=VERSIONS, country=COUNTRIES, nonce=st.uuids())
def test_message_id_round_trip(
    consultation_id: str, version: int, country: str, nonce: object
) -> None:
    mid = make_mid(
        consultation_id=consultation_id, version=version, country=country, nonce=str(nonce)
    )
    assert parse_message_id(mid) == MessageIdParts(consultation_id, version, country)


@pytest.mark.parametrize(
    "text",
    [
        "<consulta.CRM-2026-007.v2.MX.n1@crm.example.org>",
        "consulta.CRM-2026-007.v2.MX.n1@crm.example.org",
        "  <consulta.CRM-2026-007.v2.MX.n1@crm.example.org>\r\n",
        "\t consulta.CRM-2026-007.v2.MX.n1@crm.example.org ",
        "<CONSULTA.crm-2026-007.V2.mx.n1@CRM.EXAMPLE.ORG>",
    ],
)
def test_parse_message_id_tolerates_brackets_space_and_case(text: str) -> None:
    assert parse_message_id(text) == ("CRM-2026-007", 2, "MX")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "<>",
        "<consulta.CRM-2026-007.v2.MX.n1@crm.example.org",  # unbalanced
        "consulta.CRM-2026-007.v2.MX.n1@crm.example.org>",
        "<<consulta.CRM-2026-007.v2.MX.n1@crm.example.org>>",
        "<consulta.CRM-2026-007.v2.MX@crm.example.org>",  # no nonce
        "<consulta.CRM-2026-007.2.MX.n1@crm.example.org>",  # no v
        "<consulta.CRM-2026-007.v0.MX.n1@crm.example.org>",
        "<consulta.CRM-2026-007.v2.MX.n1.x@crm.example.org>",  # extra field
        "<consulta.CRM-2026-007.v2.MX.n1>",  # no domain
        "<consultas.CRM-2026-007.v2.MX.n1@crm.example.org>",
        "<x.consulta.CRM-2026-007.v2.MX.n1@crm.example.org>",
        "<consulta.CRM-2026-007.v2.MX.n1@crm.example.org> <other@x.org>",
        "<CAF=abc123@mail.gmail.com>",
    ],
)
def test_parse_message_id_is_strict_on_shape(text: str) -> None:
    assert parse_message_id(text) is None


def test_parse_message_id_for_one_domain() -> None:
    assert parse_message_id(make_mid(), domain="CRM.example.org") is not None
    assert parse_message_id(make_mid(), domain="other.org") is None


@pytest.mark.parametrize("nonce", ["a.b", "", "a@b", "a b", "<a>"])
def test_message_id_refuses_bad_nonce(nonce: str) -> None:
    with pytest.raises(ValueError, match="nonce"):
        make_mid(nonce=nonce)


def test_message_id_refuses_bad_domain_and_version() -> None:
    with pytest.raises(ValueError, match="domain"):
        make_mid(domain="a b")
    with pytest.raises(ValueError, match="version"):
        make_mid(version=0)


# --- subject tags


def test_subject_tag() -> None:
    assert subject_tag("CRM-2026-007", 2) == "[CRM-2026-007 v2]"
    with pytest.raises(ValueError):
        subject_tag("CRM-2026-007", 0)


@pytest.mark.parametrize(
    "subject",
    [
        "[CRM-2026-007 v2] Declaración sobre movilidad laboral",
        "RE: [CRM-2026-007 v2] Declaración",
        "RE: AW: RV: Fwd: [CRM-2026-007 v2] Declaración",
        "Re:Re:  [CRM-2026-007 v2]",
        "RV: [ crm-2026-007   V2 ] Declaración",
        "[CRM-2026-007 v 2]",
        "[lista-crm] RE: [CRM-2026-007 v2] Declaración",
        "Respuesta de México: [CRM-2026-007\tv2]",
        "RE: [CRM-2026-007 v2] y [CRM-2026-007 v3]",
    ],
)
def test_find_subject_tag(subject: str) -> None:
    assert find_subject_tag(subject) == SubjectTag("CRM-2026-007", 2)


@pytest.mark.parametrize(
    "subject",
    [
        "",
        "RE: Declaración",
        "[CRM-2026-007]",
        "[CRM-2026-007 v]",
        "[CRM-2026-007 v0]",
        "CRM-2026-007 v2",
        "[CRM-2026-007 v2",
        "[CRM-2026-007 version 2]",
    ],
)
def test_no_subject_tag(subject: str) -> None:
    assert find_subject_tag(subject) is None


@given(consultation_id=IDS, version=VERSIONS, prefix=st.sampled_from(["", "RE: ", "AW: Fwd: "]))
def test_subject_tag_round_trip(consultation_id: str, version: int, prefix: str) -> None:
    subject = f"{prefix}{subject_tag(consultation_id, version)} Texto".lower()
    assert find_subject_tag(subject) == (consultation_id, version)
