"""A body the size of the UN General Assembly (193 members) for the tests of what must fit.

The CRM's roster grows by synthetic members with long names (up to the length of the longest
real ones, "United Kingdom of Great Britain and Northern Ireland"), one focal point each, on Costa
Rica's holiday calendar; the CRM's eleven keep their names, presidency and Troika.
"""

from datetime import datetime
from itertools import product
from string import ascii_uppercase

import yaml

from consultation.roster import default_roster_text, load_roster
from consultation.roster_sync import import_roster
from store.database import Database

# Spanish and English forms of long official names; a member's name is one of these and a
# place name, so that many lines are as long as the longest real names.
_FORMS = [
    ("República Federal Democrática de {}", "Federal Democratic Republic of {}"),
    ("Reino Unido de {} e Islas del Norte", "United Kingdom of {} and the Northern Islands"),
    ("Estado Plurinacional de {}", "Plurinational State of {}"),
    ("Estados Federados de {}", "Federated States of {}"),
    ("{}", "{}"),
    ("República Democrática Popular de {}", "{} People's Democratic Republic"),
    ("San {} y las Granadinas", "Saint {} and the Grenadines"),
]
_PLACES = ["Ámbar", "Costa Alta", "Nueva Istria", "Oriente", "Valle Verde", "Zafiro", "Índigo"]


def large_roster_text(members: int = 193) -> str:
    data = yaml.safe_load(default_roster_text())
    taken = {c["code"] for c in data["countries"]}
    have = sum(1 for c in data["countries"] if c["status"] == "member")
    codes = ("".join(pair) for pair in product(ascii_uppercase, repeat=2))
    fresh = [code for code in codes if code not in taken][: members - have]
    for n, code in enumerate(fresh):
        form_es, form_en = _FORMS[n % len(_FORMS)]
        place = f"{_PLACES[n % len(_PLACES)]} {code}"
        data["countries"].append(
            {
                "code": code,
                "name_es": form_es.format(place),
                "name_en": form_en.format(place),
                "status": "member",
                "timezone": "America/Costa_Rica",
                "calendar": "CR",
            }
        )
        data["contacts"].append(
            {
                "name": f"Focal point {code}",
                "emails": [f"focal@{code.lower()}.example"],
                "language": "es" if n % 2 else "en",
                "timezone": "America/Costa_Rica",
                "roles": [f"focal_point:{code}"],
            }
        )
    return yaml.safe_dump(data, allow_unicode=True)


async def seed_large_roster(db: Database, at: datetime, members: int = 193) -> None:
    roster = load_roster(large_roster_text(members))
    async with db.transaction() as session:
        await import_roster(session, roster, actor="test", at=at)
