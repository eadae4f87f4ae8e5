"""Who may do what, from the roster's roles: the one table every front asks."""

import pytest

from consultation.permissions import Deed, Grant, allowed, grants_of
from consultation.vocabulary import Role

PPT = [Grant(Role.PPT)]
ST = [Grant(Role.ST)]
TROIKA_MX = [Grant(Role.TROIKA, "MX")]
FOCAL_GT = [Grant(Role.FOCAL_POINT, "GT")]


@pytest.mark.parametrize(
    ("grants", "deed", "party", "expected"),
    [
        (PPT, Deed.STEER, None, True),
        (ST, Deed.STEER, None, False),
        (TROIKA_MX, Deed.STEER, None, False),
        (FOCAL_GT, Deed.STEER, None, False),
        (PPT, Deed.REVIEW, None, True),
        (ST, Deed.REVIEW, None, True),
        (TROIKA_MX, Deed.REVIEW, None, False),
        (PPT, Deed.CONSOLE, None, True),
        (ST, Deed.CONSOLE, None, True),
        (TROIKA_MX, Deed.CONSOLE, None, True),
        (FOCAL_GT, Deed.CONSOLE, None, False),
        ([], Deed.CONSOLE, None, False),
        (FOCAL_GT, Deed.ANSWER_FOR_COUNTRY, "GT", True),
        (FOCAL_GT, Deed.ANSWER_FOR_COUNTRY, "MX", False),
        (FOCAL_GT, Deed.ANSWER_FOR_COUNTRY, None, False),
        (PPT, Deed.ANSWER_FOR_COUNTRY, "GT", False),
        (TROIKA_MX, Deed.ANSWER_FOR_TROIKA, "MX", True),
        (TROIKA_MX, Deed.ANSWER_FOR_TROIKA, "PA", False),
        (FOCAL_GT, Deed.READ, None, True),
    ],
)
def test_roles_allow_deeds(
    grants: list[Grant], deed: Deed, party: str | None, expected: bool
) -> None:
    assert allowed(grants, deed, party) is expected


def test_unknown_roles_from_the_store_grant_nothing() -> None:
    grants = grants_of([("ppt", None), ("janitor", None), ("troika", "MX")])
    assert grants == [Grant(Role.PPT), Grant(Role.TROIKA, "MX")]
