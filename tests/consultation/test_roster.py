"""The roster (YAML) and the contacts spreadsheet (CSV): loading, and errors that say where."""

from typing import Any

import pytest
import yaml

from consultation.contacts_csv import parse_contacts_csv
from consultation.errors import InvalidInput, RosterError
from consultation.roster import (
    RoleGrant,
    Roster,
    default_roster_text,
    load_roster,
    roster_from_data,
    warnings,
)
from consultation.texts import Text, normalised, paragraphs_from_text
from consultation.vocabulary import CountryStatus, Language, Role

MEMBERS = {"BZ", "CA", "CR", "SV", "US", "GT", "HN", "MX", "NI", "PA", "DO"}
OBSERVERS = {"AR", "CO", "EC", "JM", "PE"}
ORGANISATIONS = {
    "ACNUR",
    "CEPAL-CELADE",
    "CIDH",
    "OIM",
    "RELATOR-ONU",
    "SEGIB",
    "SICA",
    "UNFPA",
}


def shipped_data() -> dict[str, Any]:
    """A fresh, mutable copy of the shipped roster, to break one thing at a time."""
    data = yaml.safe_load(default_roster_text())
    assert isinstance(data, dict)
    return data


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(RosterError) as info:
        roster_from_data(data, source="test.yaml")
    assert info.value.source == "test.yaml"
    assert str(info.value).startswith("test.yaml: ")
    return info.value.problems


def contact_at(data: dict[str, Any], name: str) -> tuple[int, dict[str, Any]]:
    """The index and entry of the contact called ``name`` in the roster's list."""
    for i, contact in enumerate(data["contacts"]):
        if contact["name"] == name:
            return i, contact
    raise AssertionError(f"no contact {name!r} in the shipped roster")


def country_at(data: dict[str, Any], code: str) -> tuple[int, dict[str, Any]]:
    for i, country in enumerate(data["countries"]):
        if country["code"] == code:
            return i, country
    raise AssertionError(f"no country {code!r} in the shipped roster")


def only(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


# --- the shipped roster --------------------------------------------------------------------------


def shipped() -> Roster:
    return load_roster(default_roster_text(), source="crm_roster.yaml")


def test_shipped_roster_has_the_crm_members_and_observers() -> None:
    roster = shipped()

    assert set(roster.members) == MEMBERS
    assert len(roster.members) == 11
    observers = {c.code for c in roster.countries if c.status is CountryStatus.OBSERVER}
    assert observers == OBSERVERS
    assert {o.code for o in roster.organisations} == ORGANISATIONS


def test_shipped_roster_presidency_and_troika() -> None:
    presidency = shipped().presidency

    assert (presidency.previous, presidency.current, presidency.next) == ("MX", "DO", "PA")
    assert presidency.troika == ("MX", "DO", "PA")


def test_every_member_has_an_active_focal_point_and_nothing_is_missing() -> None:
    roster = shipped()
    reached = {
        g.party for c in roster.contacts if c.active for g in c.grants if g.role is Role.FOCAL_POINT
    }

    assert MEMBERS <= reached
    assert warnings(roster) == []


def test_every_troika_country_has_a_representative_and_ppt_and_st_exist() -> None:
    grants = [g for c in shipped().contacts for g in c.grants]

    assert {g.party for g in grants if g.role is Role.TROIKA} == {"MX", "DO", "PA"}
    assert any(g.role is Role.PPT for g in grants)
    assert any(g.role is Role.ST for g in grants)


def test_country_lookup_and_its_calendar() -> None:
    roster = shipped()

    assert roster.country("DO").timezone == "America/Santo_Domingo"
    assert roster.country("DO").holiday_calendar == "DO"
    with pytest.raises(InvalidInput, match="ZZ"):
        roster.country("ZZ")


# --- errors that name the entry and the field ----------------------------------------------------


def test_bad_email_names_the_contact_and_the_field() -> None:
    data = shipped_data()
    i, contact = contact_at(data, "Canada alternate focal point")
    contact["emails"] = ["migracion(at)interior.ca.example"]

    problem = only(problems_of(data))

    assert problem.startswith(f"contacts[{i}] (Canada alternate focal point).emails")
    assert "'migracion(at)interior.ca.example' is not an email address" in problem


def test_emails_are_stored_lowercase() -> None:
    data = shipped_data()
    _, contact = contact_at(data, "Belize focal point")
    contact["emails"] = ["PuntoFocal@Cancilleria.BZ.example"]

    roster = roster_from_data(data)

    belize = next(c for c in roster.contacts if c.name == "Belize focal point")
    assert belize.emails == ["puntofocal@cancilleria.bz.example"]


def test_unknown_role_names_the_contact() -> None:
    data = shipped_data()
    i, contact = contact_at(data, "Punto focal de Honduras")
    contact["roles"] = ["focal_point:HN", "jefe"]

    problem = only(problems_of(data))

    assert problem.startswith(f"contacts[{i}] (Punto focal de Honduras).roles")
    assert "unknown role 'jefe'" in problem


def test_focal_point_without_a_country() -> None:
    data = shipped_data()
    i, contact = contact_at(data, "Punto focal de Nicaragua")
    contact["roles"] = ["focal_point"]

    problem = only(problems_of(data))

    assert problem.startswith(f"contacts[{i}] (Punto focal de Nicaragua).roles")
    assert "needs a country" in problem


def test_focal_point_of_an_unknown_party() -> None:
    data = shipped_data()
    i, contact = contact_at(data, "Punto focal de Nicaragua")
    contact["roles"] = ["focal_point:ZZ"]

    problem = only(problems_of(data))

    assert problem == (
        f"contacts[{i}] (Punto focal de Nicaragua).roles[0]: "
        "ZZ is not a country or organisation of the roster"
    )


def test_troika_role_for_a_country_outside_the_troika() -> None:
    data = shipped_data()
    i, contact = contact_at(data, "Punto focal de Guatemala")
    contact["roles"] = ["focal_point:GT", "troika:GT"]

    problem = only(problems_of(data))

    assert problem == (
        f"contacts[{i}] (Punto focal de Guatemala).roles[1]: GT is not in the Troika (MX, DO, PA)"
    )


def test_unknown_timezone_of_a_country() -> None:
    data = shipped_data()
    i, country = country_at(data, "CR")
    country["timezone"] = "America/San_Jose"

    problem = only(problems_of(data))

    assert problem.startswith(f"countries[{i}] (CR).timezone")
    assert "unknown timezone 'America/San_Jose'" in problem


def test_unknown_timezone_of_a_contact() -> None:
    data = shipped_data()
    i, contact = contact_at(data, "Enlace OIM")
    contact["timezone"] = "Central America"

    problem = only(problems_of(data))

    assert problem.startswith(f"contacts[{i}] (Enlace OIM).timezone")
    assert "unknown timezone" in problem


def test_unknown_holiday_calendar_of_a_country() -> None:
    data = shipped_data()
    i, country = country_at(data, "BZ")
    country["calendar"] = "XX"

    problem = only(problems_of(data))

    assert problem.startswith(f"countries[{i}] (BZ, Belize).calendar")
    assert "no holiday calendar for XX" in problem


def test_duplicate_country_code() -> None:
    data = shipped_data()
    _, guatemala = country_at(data, "GT")
    data["countries"].append(dict(guatemala, name_en="Guatemala again"))

    assert only(problems_of(data)) == "countries: GT appears 2 times"


def test_duplicate_organisation_code() -> None:
    data = shipped_data()
    data["organisations"].append(dict(data["organisations"][0]))

    assert only(problems_of(data)) == "organisations: ACNUR appears 2 times"


@pytest.mark.parametrize("field", ["previous", "current", "next"])
def test_presidency_naming_an_observer(field: str) -> None:
    data = shipped_data()
    data["presidency"][field] = "CO"

    problems = problems_of(data)

    assert f"presidency.{field}: CO is not a member country of the roster" in problems


def test_presidency_naming_a_country_outside_the_roster() -> None:
    data = shipped_data()
    data["presidency"]["next"] = "BR"

    assert "presidency.next: BR is not a member country of the roster" in problems_of(data)


def test_presidency_needs_three_different_countries() -> None:
    data = shipped_data()
    data["presidency"]["next"] = "MX"

    assert "presidency: previous, current and next must be three different countries" in (
        problems_of(data)
    )


def test_duplicate_email_across_contacts_whatever_its_case() -> None:
    data = shipped_data()
    i, alternate = contact_at(data, "Belize alternate focal point")
    alternate["emails"] = ["PUNTOFOCAL@cancilleria.bz.example"]

    problem = only(problems_of(data))

    assert problem == (
        f"contacts[{i}] (Belize alternate focal point).emails: "
        "puntofocal@cancilleria.bz.example also belongs to Belize focal point"
    )


def test_bad_slack_user_id() -> None:
    data = shipped_data()
    i, contact = contact_at(data, "Belize focal point")
    contact["slack_user_id"] = "belize"

    assert only(problems_of(data)).startswith(f"contacts[{i}] (Belize focal point).slack_user_id")


def test_unknown_top_level_key() -> None:
    data = shipped_data()
    data["chairs"] = ["MX"]

    problem = only(problems_of(data))

    assert problem.startswith("chairs: ")
    assert "not permitted" in problem


def test_unknown_key_inside_a_contact() -> None:
    data = shipped_data()
    i, contact = contact_at(data, "Enlace SICA")
    contact["phone"] = "+503 0000 0000"

    assert only(problems_of(data)).startswith(f"contacts[{i}] (Enlace SICA).phone: ")


def test_missing_presidency() -> None:
    data = shipped_data()
    del data["presidency"]

    assert only(problems_of(data)).startswith("presidency: ")


def test_several_problems_are_all_reported() -> None:
    data = shipped_data()
    i, contact = contact_at(data, "Punto focal de Panamá")
    contact["emails"] = ["nope"]
    j, country = country_at(data, "PE")
    country["timezone"] = "Lima"

    problems = problems_of(data)

    assert len(problems) == 2
    assert any(p.startswith(f"contacts[{i}] (Punto focal de Panamá).emails") for p in problems)
    assert any(p.startswith(f"countries[{j}] (PE).timezone") for p in problems)


def test_invalid_yaml() -> None:
    with pytest.raises(RosterError, match="^broken.yaml: not valid YAML") as info:
        load_roster("presidency: {previous: MX, current: DO\ncountries: [", source="broken.yaml")
    assert len(info.value.problems) == 1


@pytest.mark.parametrize("text", ["- MX\n- DO\n", "just words", ""])
def test_yaml_that_is_not_a_mapping(text: str) -> None:
    with pytest.raises(RosterError, match="must be a mapping"):
        load_roster(text)


def test_warnings_for_a_member_without_active_focal_point_and_no_ppt() -> None:
    data = shipped_data()
    for contact in data["contacts"]:
        if "focal_point:BZ" in contact["roles"]:
            contact["active"] = False
    data["contacts"] = [c for c in data["contacts"] if c["roles"] != ["ppt"]]

    found = warnings(roster_from_data(data))

    assert found == ["member BZ has no active focal point", "nobody holds the role ppt"]


# --- role grants ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "role", "party", "shown"),
    [
        ("focal_point:GT", Role.FOCAL_POINT, "GT", "focal_point:GT"),
        ("focal_point:gt", Role.FOCAL_POINT, "GT", "focal_point:GT"),
        (
            " Focal_Point : cepal-celade ",
            Role.FOCAL_POINT,
            "CEPAL-CELADE",
            "focal_point:CEPAL-CELADE",
        ),
        ("troika:DO", Role.TROIKA, "DO", "troika:DO"),
        ("PPT", Role.PPT, None, "ppt"),
        ("st", Role.ST, None, "st"),
    ],
)
def test_role_grant_parse(text: str, role: Role, party: str | None, shown: str) -> None:
    grant = RoleGrant.parse(text)

    assert grant == RoleGrant(role, party)
    assert str(grant) == shown
    assert RoleGrant.parse(str(grant)) == grant


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("jefe", "unknown role 'jefe'"),
        ("", "unknown role ''"),
        ("focal_point", "needs a country"),
        ("troika:", "needs a country"),
        ("ppt:DO", "takes no country"),
        ("st:CR", "takes no country"),
    ],
)
def test_role_grant_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RoleGrant.parse(text)


# --- contacts from a spreadsheet (CSV) -----------------------------------------------------------

HEADER = ["name", "emails", "language", "timezone", "roles", "slack_user_id", "active"]
ANA = [
    "Ana Pérez",
    "ana@cancilleria.gt.example",
    "es",
    "America/Guatemala",
    "focal_point:GT",
    "",
    "",
]
JOHN = ["John Smith", "john@state.us.example", "en", "America/New_York", "focal_point:US", "", ""]


def csv_text(*rows: list[str], header: list[str] = HEADER, sep: str = ";") -> str:
    return "\n".join(sep.join(cells) for cells in [header, *rows]) + "\n"


def csv_problems(text: str) -> list[str]:
    with pytest.raises(RosterError) as info:
        parse_contacts_csv(text, source="focal.csv")
    assert str(info.value).startswith("focal.csv: ")
    return info.value.problems


@pytest.mark.parametrize("sep", [";", ","])
def test_csv_with_either_delimiter(sep: str) -> None:
    contacts = parse_contacts_csv(csv_text(ANA, JOHN, sep=sep))

    assert [c.name for c in contacts] == ["Ana Pérez", "John Smith"]
    assert contacts[0].emails == ["ana@cancilleria.gt.example"]
    assert contacts[0].language is Language.ES
    assert contacts[0].roles == ["focal_point:GT"]
    assert contacts[1].timezone == "America/New_York"
    assert all(c.active for c in contacts)
    assert all(c.slack_user_id is None for c in contacts)


def test_csv_with_a_byte_order_mark_and_headers_in_any_case() -> None:
    header = ["Name", "EMAILS", "Language", "TimeZone", "Roles", "Slack_User_ID", "Active"]
    text = "\ufeff" + csv_text(ANA, header=header)

    (contact,) = parse_contacts_csv(text)

    assert contact.name == "Ana Pérez"
    assert contact.emails == ["ana@cancilleria.gt.example"]


def test_csv_lists_separated_by_semicolons_in_a_comma_file() -> None:
    row = [
        "Ana",
        "a@gt.example;b@gt.example",
        "es",
        "America/Guatemala",
        "focal_point:GT;troika:PA",
    ]
    (contact,) = parse_contacts_csv(csv_text(row, header=HEADER[:5], sep=","))

    assert contact.emails == ["a@gt.example", "b@gt.example"]
    assert contact.grants == [RoleGrant(Role.FOCAL_POINT, "GT"), RoleGrant(Role.TROIKA, "PA")]


def test_csv_lists_quoted_in_a_semicolon_file() -> None:
    row = ["Ana", '"a@gt.example; b@gt.example"', "es", "America/Guatemala", "focal_point:gt"]
    (contact,) = parse_contacts_csv(csv_text(row, header=HEADER[:5]))

    assert contact.emails == ["a@gt.example", "b@gt.example"]
    assert contact.roles == ["focal_point:GT"]


def test_csv_lists_separated_by_commas_in_a_semicolon_file() -> None:
    row = ["Ana", "a@gt.example, b@gt.example", "es", "America/Guatemala", "focal_point:GT, ppt"]
    (contact,) = parse_contacts_csv(csv_text(row, header=HEADER[:5]))

    assert contact.emails == ["a@gt.example", "b@gt.example"]
    assert contact.roles == ["focal_point:GT", "ppt"]


@pytest.mark.parametrize(
    ("cell", "active"),
    [("yes", True), ("Sí", True), ("x", True), ("", True), ("no", False), ("NO", False)],
)
def test_csv_active_column(cell: str, active: bool) -> None:
    (contact,) = parse_contacts_csv(csv_text(ANA[:-1] + [cell]))

    assert contact.active is active


def test_csv_active_column_may_be_left_out() -> None:
    (contact,) = parse_contacts_csv(csv_text(ANA[:5], header=HEADER[:5]))

    assert contact.active is True


def test_csv_active_cell_that_is_neither_yes_nor_no() -> None:
    assert csv_problems(csv_text(ANA[:-1] + ["maybe"])) == [
        "row 2 (Ana Pérez).active: 'maybe' is not yes or no"
    ]


def test_csv_slack_user_id() -> None:
    (contact,) = parse_contacts_csv(csv_text(ANA[:5] + ["U0GTANA", ""]))

    assert contact.slack_user_id == "U0GTANA"


def test_csv_missing_columns() -> None:
    header = ["name", "emails", "language"]

    assert csv_problems(csv_text(ANA[:3], header=header)) == [
        "header: missing column timezone",
        "header: missing column roles",
    ]


def test_csv_unknown_column() -> None:
    problem = only(csv_problems(csv_text(ANA + ["+502"], header=[*HEADER, "phone"])))

    assert problem.startswith("header: unknown column phone (columns: name, emails,")


def test_csv_empty_file() -> None:
    problems = csv_problems("")

    assert "header: missing column name" in problems
    assert len(problems) == 5


def test_csv_bad_row_names_the_row_the_contact_and_the_field() -> None:
    bad = ["Luis Gómez", "luis.gomez", "es", "America/Tegucigalpa", "focal_point:HN", "", ""]

    problem = only(csv_problems(csv_text(ANA, bad, JOHN)))

    assert problem == "row 3 (Luis Gómez).emails: 'luis.gomez' is not an email address"


def test_csv_every_bad_row_is_reported() -> None:
    french = ["Marie", "marie@ca.example", "fr", "America/Toronto", "focal_point:CA", "", ""]
    nameless = ["", "x@ca.example", "en", "America/Toronto", "boss", "", ""]

    problems = csv_problems(csv_text(ANA, french, nameless))

    assert any(p.startswith("row 3 (Marie).language: ") for p in problems)
    assert any(p.startswith("row 4 (?).name: ") for p in problems)
    assert any(p.startswith("row 4 (?).roles: ") and "unknown role" in p for p in problems)


def test_csv_blank_rows_are_skipped() -> None:
    empty_cells = [""] * len(HEADER)
    text = csv_text(ANA, empty_cells, ["  "] * len(HEADER), JOHN) + "\n"

    contacts = parse_contacts_csv(text)

    assert [c.name for c in contacts] == ["Ana Pérez", "John Smith"]


def test_csv_row_numbers_count_blank_rows_too() -> None:
    # The ST looks the row up in the spreadsheet: blank rows in between still take a number.
    bad = ["Luis Gómez", "luis.gomez", "es", "America/Tegucigalpa", "focal_point:HN", "", ""]
    header, ana, luis = csv_text(ANA, bad).splitlines()
    empty_cells = ";" * (len(HEADER) - 1)

    with_empty_cells = "\n".join([header, ana, empty_cells, luis]) + "\n"
    with_empty_line = "\n".join([header, ana, "", luis]) + "\n"

    expected = "row 4 (Luis Gómez).emails: 'luis.gomez' is not an email address"
    assert csv_problems(with_empty_cells) == [expected]
    assert csv_problems(with_empty_line) == [expected]


def test_csv_windows_line_endings() -> None:
    text = csv_text(ANA, JOHN).replace("\n", "\r\n")

    assert [c.name for c in parse_contacts_csv(text)] == ["Ana Pérez", "John Smith"]


# --- texts under consultation --------------------------------------------------------------------


def test_paragraphs_split_on_blank_lines_and_lines_are_joined() -> None:
    text = "La CRM reconoce\nel aumento de los flujos.\n\nLos países\n  intercambiarán información."

    assert paragraphs_from_text(text) == [
        "La CRM reconoce el aumento de los flujos.",
        "Los países intercambiarán información.",
    ]


def test_paragraphs_with_crlf_and_several_blank_lines() -> None:
    text = "\ufeffFirst line\r\nstill first.\r\n\r\n\r\n   \r\n\t\r\nSecond.\r\n\r\nThird.\r\n"

    assert paragraphs_from_text(text) == ["First line still first.", "Second.", "Third."]


def test_paragraphs_with_old_mac_line_endings() -> None:
    assert paragraphs_from_text("One\rtwo\r\rThree") == ["One two", "Three"]


@pytest.mark.parametrize("text", ["", "\n\n", "   \r\n\t\n", "\ufeff"])
def test_empty_text_is_an_error_naming_the_source(text: str) -> None:
    with pytest.raises(InvalidInput, match="^borrador.md has no paragraphs$"):
        paragraphs_from_text(text, source="borrador.md")


def test_normalised_ignores_spacing_and_case() -> None:
    assert normalised("  La  CRM\n reconoce ") == normalised("la crm RECONOCE")
    assert normalised("La CRM") != normalised("La CRMs")


def test_text_needs_matching_paragraph_counts() -> None:
    with pytest.raises(InvalidInput, match="Spanish text has 2 paragraphs and the English 1"):
        Text(es=["Uno.", "Dos."], en=["One."])


@pytest.mark.parametrize(("es", "en"), [(None, None), ([], []), ([], None)])
def test_text_needs_some_paragraphs(es: list[str] | None, en: list[str] | None) -> None:
    with pytest.raises(InvalidInput, match="needs paragraphs"):
        Text(es=es, en=en)


def test_text_in_the_readers_language() -> None:
    text = Text(es=["Uno.", "Dos."], en=["One.", "Two."])

    assert text.in_language(Language.ES) == ["Uno.", "Dos."]
    assert text.in_language(Language.EN) == ["One.", "Two."]
    assert text.paragraph_count == 2


def test_text_falls_back_to_the_other_language() -> None:
    spanish_only = Text(es=["Uno.", "Dos.", "Tres."], en=None)
    english_only = Text(es=[], en=["One."])

    assert spanish_only.in_language(Language.EN) == ["Uno.", "Dos.", "Tres."]
    assert spanish_only.paragraph_count == 3
    assert english_only.in_language(Language.ES) == ["One."]
    assert english_only.paragraph_count == 1
