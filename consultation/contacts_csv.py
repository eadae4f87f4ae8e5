"""Contacts from the ST's spreadsheets (CSV), validated row by row like the roster."""

import csv
import io
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from consultation.errors import RosterError
from consultation.roster import ContactEntry, describe_errors

COLUMNS = ("name", "emails", "language", "timezone", "roles", "slack_user_id", "active")
REQUIRED = ("name", "emails", "language", "timezone", "roles")
_TRUE = {"yes", "y", "true", "1", "si", "sí", "x"}
_FALSE = {"no", "n", "false", "0"}


def parse_contacts_csv(text: str, *, source: str = "contacts.csv") -> list[ContactEntry]:
    """One contact per row. Lists (emails, roles) are separated by ``;``; ``active`` is yes/no.

    Spreadsheets export with a BOM, ``;`` or ``,`` delimiters and headers in any case; all accepted.
    """
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in headers]
    unknown = [h for h in headers if h not in COLUMNS]
    if missing or unknown:
        problems = [f"header: missing column {c}" for c in missing]
        problems += [f"header: unknown column {h} (columns: {', '.join(COLUMNS)})" for h in unknown]
        raise RosterError(problems, source=source)
    contacts, problems = [], []
    for row in reader:
        line = reader.line_num  # the file's line: blank lines skipped by csv still count
        cells = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(cells.values()):
            continue
        try:
            contacts.append(ContactEntry.model_validate(_row_data(cells)))
        except ValidationError as exc:
            label = f"row {line} ({cells.get('name') or '?'})"
            problems += [f"{label}.{p}" for p in describe_errors(exc, None)]
        except ValueError as exc:
            problems.append(f"row {line} ({cells.get('name') or '?'}).active: {exc}")
    if problems:
        raise RosterError(problems, source=source)
    return contacts


def _row_data(cells: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": cells.get("name", ""),
        "emails": _split(cells.get("emails", "")),
        "language": cells.get("language", "").lower(),
        "timezone": cells.get("timezone", ""),
        "roles": _split(cells.get("roles", "")),
        "slack_user_id": cells.get("slack_user_id") or None,
    }
    active = (cells.get("active") or "yes").lower()  # an empty cell keeps the contact active
    if active not in _TRUE | _FALSE:
        raise ValueError(f"{active!r} is not yes or no")
    data["active"] = active in _TRUE
    return data


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", ";").split(";") if part.strip()]
