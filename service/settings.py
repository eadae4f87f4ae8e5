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
