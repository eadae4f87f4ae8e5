"""Settings from ``CONSULTA_*`` environment variables or a ``.env`` file, built once here."""

from pathlib import Path

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from consultation.vocabulary import Language


class DbSettings(BaseModel):
    # A file under ./var by default; PostgreSQL: postgresql+asyncpg://user:pass@host/db
    url: str = "sqlite+aiosqlite:///var/consulta.db"
    echo: bool = False


class Settings(BaseSettings):
    """``CONSULTA_DB__URL``, ``CONSULTA_LANGUAGE``, ``CONSULTA_ROSTER``…"""

    model_config = SettingsConfigDict(
        env_prefix="CONSULTA_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    db: DbSettings = DbSettings()
    language: Language = Language.EN  # of the command line's own output
    roster: Path | None = None  # imported on `consulta roster import` without a file
    slack: "SlackSettings | None" = None  # no Slack front without a bot token


class SlackSettings(BaseModel):
    """``CONSULTA_SLACK__BOT_TOKEN``… Socket Mode when ``app_token`` is set, else HTTP."""

    bot_token: str  # xoxb-…
    signing_secret: str | None = None  # required in HTTP mode: Slack signs every request
    app_token: str | None = None  # xapp-…: Socket Mode, for ministries without a public endpoint
    status_channel: str = ""  # the PPT's channel (id) where each consultation's status lives
    host: str = "0.0.0.0"
    port: int = 3000
    path: str = "/slack/events"
    api_url: str = "https://slack.com/api/"  # a test server's, in tests


Settings.model_rebuild()  # resolves the groups defined after Settings
