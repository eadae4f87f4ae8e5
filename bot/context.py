"""What every listener and the outbox sender share, built once by whoever starts the front."""

import asyncio
from dataclasses import dataclass, field

from jinja2 import Environment

from bot.texts import Phrases
from consultation.links import ConsoleLinks
from consultation.timesource import TimeSource
from consultation.vocabulary import Language
from store.database import Database


@dataclass
class BotContext:
    db: Database
    time: TimeSource
    env: Environment
    status_channel: str  # the PPT's channel: each consultation's status message lives there
    board_language: Language = Language.ES  # of the status messages, read by the whole channel
    # Set after every committed move (the front's own, or a reply the email front read), so
    # the outbox sender goes at once instead of next tick.
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # The web console's pages, when its public address is set: long messages link there.
    links: ConsoleLinks | None = None

    @property
    def phrases(self) -> Phrases:
        return Phrases(self.env)
