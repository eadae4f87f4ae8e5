"""The roster: countries, observer organisations, contacts and the presidency, validated on load.

Errors name the entry and the field (``contacts[4] (Ana Pérez).roles[1]: …``) so the ST can fix
a spreadsheet or YAML file without reading Python.
"""

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from consultation.clock import check_calendar
from consultation.errors import InvalidInput, RosterError
from consultation.vocabulary import CountryStatus, Language, Role

_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\"]+$")
_CODE = re.compile(r"^[A-Z][A-Z0-9-]{1,19}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {value!r} (use an IANA name such as America/Panama)"
        ) from exc
    return value


class CountryEntry(_Strict):
    code: str = Field(pattern=r"^[A-Z]{2}$")
    name_es: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    status: CountryStatus
    timezone: str
    calendar: str | None = None  # holiday calendar; the country's own by default

    _tz = field_validator("timezone")(_zone)

    @property
    def holiday_calendar(self) -> str:
        return self.calendar or self.code


class OrganisationEntry(_Strict):
    code: str = Field(pattern=_CODE.pattern)
    name_es: str = Field(min_length=1)
    name_en: str = Field(min_length=1)


@dataclass(frozen=True)
class RoleGrant:
    role: Role
    party: str | None = None  # country (or organisation) the role is held for

    def __str__(self) -> str:
        return f"{self.role.value}:{self.party}" if self.party else self.role.value

    @classmethod
    def parse(cls, text: str) -> Self:
        """``focal_point:GT``, ``troika:DO``, ``ppt`` or ``st``."""
        name, _, raw_party = text.strip().partition(":")
        try:
            role = Role(name.strip().lower())
        except ValueError:
            choices = ", ".join(r.value for r in Role)
            raise ValueError(f"unknown role {name!r} (one of {choices})") from None
        party = raw_party.strip().upper() or None
        if role in (Role.FOCAL_POINT, Role.TROIKA) and not party:
            raise ValueError(f"role {role.value} needs a country, e.g. {role.value}:GT")
        if role in (Role.PPT, Role.ST) and party:
            raise ValueError(f"role {role.value} takes no country")
        return cls(role, party)


class ContactEntry(_Strict):
    name: str = Field(min_length=1)
    emails: list[str] = Field(min_length=1)
    language: Language
    timezone: str
    roles: list[str] = Field(min_length=1)
    slack_user_id: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]{2,}$")
    active: bool = True

    _tz = field_validator("timezone")(_zone)

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for address in value:
            if not _EMAIL.match(address):
                raise ValueError(f"{address!r} is not an email address")
        return [a.lower() for a in value]

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        return [str(RoleGrant.parse(text)) for text in value]

    @property
    def grants(self) -> list[RoleGrant]:
        return [RoleGrant.parse(text) for text in self.roles]


class PresidencyEntry(_Strict):
    """Who presides, and who reviews a draft before the members see it: the CRM's Troika
    (previous, current and next presidencies), or another body's bureau of any size (the
    UN General Assembly's President and vice-presidents, an OAS committee's officers)."""

    current: str = Field(pattern=r"^[A-Z]{2}$")
    previous: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    next: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    bureau: list[str] | None = Field(default=None, min_length=1)

    @field_validator("bureau")
    @classmethod
    def _codes(cls, value: list[str] | None) -> list[str] | None:
        for code in value or []:
            if not re.match(r"^[A-Z]{2}$", code):
                raise ValueError(f"{code!r} is not a two-letter country code")
        return value

    @property
    def troika(self) -> tuple[str, ...]:
        """The countries that review a draft first: the bureau, or the Troika."""
        if self.bureau:
            return tuple(self.bureau)
        return tuple(c for c in (self.previous, self.current, self.next) if c)


class Roster(_Strict):
    presidency: PresidencyEntry
    countries: list[CountryEntry]
    organisations: list[OrganisationEntry] = []
    contacts: list[ContactEntry] = []

    def country(self, code: str) -> CountryEntry:
        for entry in self.countries:
            if entry.code == code:
                return entry
        raise InvalidInput(f"no country {code!r} in the roster")

    @property
    def members(self) -> list[str]:
        return [c.code for c in self.countries if c.status is CountryStatus.MEMBER]


def default_roster_text() -> str:
    """The shipped CRM roster: real countries and presidency, placeholder contacts."""
    return files("consultation").joinpath("crm_roster.yaml").read_text(encoding="utf-8")


def load_roster(text: str, *, source: str = "roster") -> Roster:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RosterError([f"not valid YAML: {exc}"], source=source) from exc
    if not isinstance(data, Mapping):
        raise RosterError(
            ["the roster must be a mapping with presidency, countries, contacts"], source=source
        )
    return roster_from_data(data, source=source)


def roster_from_data(data: Mapping[str, Any], *, source: str = "roster") -> Roster:
    try:
        roster = Roster.model_validate(data)
    except ValidationError as exc:
        raise RosterError(describe_errors(exc, data), source=source) from exc
    problems = list(cross_check(roster))
    if problems:
        raise RosterError(problems, source=source)
    return roster


def describe_errors(exc: ValidationError, data: Any) -> list[str]:
    """Pydantic's locations as ``contacts[3] (Ana Pérez).emails[0]: message``."""
    return [f"{_where(err['loc'], data)}: {_message(err)}" for err in exc.errors()]


def _message(err: Any) -> str:
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def _where(loc: tuple[int | str, ...], data: Any) -> str:
    text, node = "", data
    for step in loc:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and step < len(node) else None
            text += f"[{step}]{_label(node)}"
        else:
            node = node.get(step) if isinstance(node, Mapping) else None
            text += f".{step}" if text else str(step)
    return text or "roster"


def _label(node: Any) -> str:
    if isinstance(node, Mapping):
        for key in ("name", "code"):
            if node.get(key):
                return f" ({node[key]})"
    return ""


def cross_check(roster: Roster) -> Iterable[str]:
    """Rules across entries: unique codes and addresses, roles naming known parties."""
    countries = {c.code: c for c in roster.countries}
    parties = set(countries) | {o.code for o in roster.organisations}
    yield from _duplicates("countries", [c.code for c in roster.countries])
    yield from _duplicates("organisations", [o.code for o in roster.organisations])
    for i, country in enumerate(roster.countries):
        try:
            check_calendar(country.holiday_calendar)
        except InvalidInput:
            yield (
                f"countries[{i}] ({country.code}, {country.name_en}).calendar: the holidays "
                f"package has no holiday calendar for {country.holiday_calendar}; give this "
                "country `calendar:` with one it has (the ISO code of a country whose public "
                "holidays it keeps)"
            )
    yield from _check_presidency(roster.presidency, countries)
    yield from _check_contacts(roster, countries, parties)


def _check_presidency(
    presidency: PresidencyEntry, countries: Mapping[str, CountryEntry]
) -> Iterable[str]:
    places = [("current", presidency.current)]
    if presidency.bureau:
        places += [(f"bureau[{i}]", code) for i, code in enumerate(presidency.bureau)]
        if presidency.current not in presidency.bureau:
            yield f"presidency.bureau: the presidency ({presidency.current}) must be in it"
    elif presidency.previous is None or presidency.next is None:
        yield "presidency: name previous and next (a Troika), or a bureau: [list of members]"
    for field in ("previous", "next"):
        if getattr(presidency, field):
            places.append((field, getattr(presidency, field)))
    for where, code in places:
        entry = countries.get(code)
        if entry is None or entry.status is not CountryStatus.MEMBER:
            yield f"presidency.{where}: {code} is not a member country of the roster"
    if presidency.bureau:
        yield from _duplicates("presidency.bureau", presidency.bureau)
    elif len(set(presidency.troika)) != 3 and presidency.previous and presidency.next:
        yield "presidency: previous, current and next must be three different countries"


def _check_contacts(
    roster: Roster, countries: Mapping[str, CountryEntry], parties: set[str]
) -> Iterable[str]:
    owners: dict[str, str] = {}
    for i, contact in enumerate(roster.contacts):
        where = f"contacts[{i}] ({contact.name})"
        for address in contact.emails:
            if address in owners:
                yield f"{where}.emails: {address} also belongs to {owners[address]}"
            owners.setdefault(address, contact.name)
        for j, grant in enumerate(contact.grants):
            if grant.party is None:
                continue
            if grant.role is Role.FOCAL_POINT and grant.party not in parties:
                known = "is not a country or organisation of the roster"
                yield f"{where}.roles[{j}]: {grant.party} {known}"
            if grant.role is Role.TROIKA and grant.party not in roster.presidency.troika:
                troika = ", ".join(roster.presidency.troika)
                yield f"{where}.roles[{j}]: {grant.party} is not in the Troika ({troika})"


def _duplicates(where: str, codes: list[str]) -> Iterable[str]:
    for code, count in Counter(codes).items():
        if count > 1:
            yield f"{where}: {code} appears {count} times"


def warnings(roster: Roster) -> list[str]:
    """Not errors, but a consultation would miss someone."""
    found: list[str] = []
    reached = {
        g.party for c in roster.contacts if c.active for g in c.grants if g.role is Role.FOCAL_POINT
    }
    for code in roster.members:
        if code not in reached:
            found.append(f"member {code} has no active focal point")
    for role in (Role.PPT, Role.ST):
        if not any(g.role is role for c in roster.contacts if c.active for g in c.grants):
            found.append(f"nobody holds the role {role.value}")
    return found
