"""Addresses of the web console's pages, for every front that points a person there.

The console serves these paths (``web/``); emails, Slack messages and the ST's digest link to
them when ``CONSULTA_WEB__BASE_URL`` is set. One module so a page never moves under a link.
"""

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class ConsoleLinks:
    """``base_url`` without a trailing slash, e.g. ``https://consulta.example.org``."""

    base_url: str

    @classmethod
    def of(cls, base_url: str | None) -> "ConsoleLinks | None":
        return cls(base_url.rstrip("/")) if base_url else None

    def board(self) -> str:
        return f"{self.base_url}/"

    def consultation(self, consultation_id: str) -> str:
        return f"{self.base_url}/c/{quote(consultation_id, safe='')}"

    def review(self, message_id: int | None = None) -> str:
        """The queue, or one held reply (its inbound message row's id)."""
        return f"{self.base_url}/review" + ("" if message_id is None else f"/{message_id}")

    def archive(self) -> str:
        return f"{self.base_url}/archive"

    def sign_in(self) -> str:
        return f"{self.base_url}/sign-in"
