"""A text of any length reaches the focal points and the Troika in Slack: the first paragraphs in
the message, within Slack's limits, and the whole text as a file in its thread, posted once."""

import json
from datetime import timedelta

from consultation.texts import Text
from consultation.timesource import ManualTime
from consultation.vocabulary import State
from store.database import Database
from tests.bot.conftest import TROIKA_USERS, Front
from tests.bot.slack_limits import assert_within_limits
from tests.factories import make_consultation
from tests.service.test_no_codes import assert_no_codes

PARAGRAPHS = 100
SENTENCE_ES = (
    "Los países miembros acuerdan intercambiar, por medio de sus puntos focales, información "
    "sobre rutas, perfiles y necesidades de protección de las personas migrantes "
    "extracontinentales, en un plazo de diez días hábiles desde cada solicitud. "
)
SENTENCE_EN = (
    "Member countries agree to exchange, through their focal points, information on routes, "
    "profiles and protection needs of extra-continental migrants, within ten business days "
    "of each request. "
)
LONG = Text(
    es=[f"({n}) " + SENTENCE_ES * 3 for n in range(1, PARAGRAPHS + 1)],
    en=[f"({n}) " + SENTENCE_EN * 3 for n in range(1, PARAGRAPHS + 1)],
)


def _dms(front: Front) -> list[dict[str, object]]:
    return [
        c.args for c in front.api.of("chat.postMessage") if str(c.args["channel"]).startswith("U")
    ]


async def test_a_hundred_paragraphs_reach_every_focal_point_and_the_troika(
    front: Front, db: Database, time: ManualTime
) -> None:
    assert sum(len(p) for p in LONG.es) > 60_000  # Slack's total limits are far below
    await make_consultation(db, time, seed=False, text=LONG)
    report = await front.drain()
    assert report.failed == 0
    dms = _dms(front)
    assert {str(d["channel"]) for d in dms} >= set(TROIKA_USERS.values())
    asks = [d for d in dms if "1 to" in json.dumps(d) or "1 a" in json.dumps(d)]
    assert len(asks) == 11 + 3  # one focal point per member on Slack, the Troika's three
    for ask in asks:
        assert_within_limits(ask)
        shown = json.dumps(ask["blocks"], ensure_ascii=False)
        assert "*1.* (1) " in shown and f"*{PARAGRAPHS}.*" not in shown
        assert (
            "of 100 are shown here: the whole text, all 100 paragraphs, is in the file below."
            in shown
            or "de 100: el texto completo, con sus 100 párrafos, está en el archivo de abajo."
            in shown
        )
    completed = front.api.of("files.completeUploadExternal")
    assert len(completed) == len(asks)
    # Each file in the thread of its own message, in that message's direct conversation.
    threads = {(c.args["channel_id"], c.args["thread_ts"]) for c in completed}
    assert len(threads) == len(asks)
    assert all(channel.startswith("D") for channel, _ in threads)
    files = list(front.api.uploads.values())
    assert len(files) == len(asks)
    for data in files:
        text = data.decode("utf-8")
        assert text.startswith("1. (1) ") and f"\n\n{PARAGRAPHS}. ({PARAGRAPHS}) " in text
    for ask in asks:
        assert_no_codes(json.dumps(ask["blocks"], ensure_ascii=False), "a long text's message")
    titles = {json.loads(c.args["files"])[0]["title"] for c in completed}
    assert titles == {"Texto de CRM-2026-001, versión 1", "Text of CRM-2026-001, version 1"}


async def test_a_failed_upload_is_tried_again_without_posting_the_message_twice(
    front: Front, db: Database, time: ManualTime
) -> None:
    await make_consultation(db, time, seed=False, text=LONG, state=State.TROIKA_REVIEW)
    front.api.fail("files.completeUploadExternal", 500, times=1)
    first = await front.drain()
    assert first.retrying == 1
    posted = len(_dms(front))
    time.advance(timedelta(minutes=2))
    second = await front.drain()
    assert second.sent == 1 and second.retrying == 0
    assert len(_dms(front)) == posted  # the message went once; only its file again
    assert len(front.api.of("files.completeUploadExternal")) == 3
