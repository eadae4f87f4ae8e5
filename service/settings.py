"""Settings from ``CONSULTA_*`` environment variables or a ``.env`` file, built once here."""

from pathlib import Path

from pydantic import BaseModel, Field
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
    schedule: "ScheduleSettings" = Field(default_factory=lambda: ScheduleSettings())


class ScheduleSettings(BaseModel):
    """``CONSULTA_SCHEDULE__DIGEST_HOUR=8``…: reminders, the ST's digest, the tick."""

    reminder_lead_days: int = 1  # business days before the deadline
    reminder_hour: int = 9  # in the PPT's timezone
    digest_hour: int = 8  # in the ST's timezone
    st_calendar: str = "CR"  # the ST's business days: Costa Rica's
    st_timezone: str = "America/Costa_Rica"
    extension_days: int = 2  # offered to the PPT when a country asks for more time
    interval_seconds: float = 30.0  # between ticks


Settings.model_rebuild()  # resolves the forward reference to ScheduleSettings
