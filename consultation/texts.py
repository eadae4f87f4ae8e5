"""Texts under consultation: numbered paragraphs split on blank lines (DESIGN §2)."""

import re
from dataclasses import dataclass

from consultation.errors import InvalidInput
from consultation.vocabulary import Language

_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


def paragraphs_from_text(text: str, *, source: str = "text") -> list[str]:
    """UTF-8 text or Markdown; paragraphs are blocks separated by one or more blank lines."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    found = [
        " ".join(line.strip() for line in block.splitlines()).strip()
        for block in _BLANK_LINES.split(text)
    ]
    found = [p for p in found if p]
    if not found:
        raise InvalidInput(f"{source} has no paragraphs", phrase="no_paragraphs", source=source)
    return found


def normalised(paragraph: str) -> str:
    return " ".join(paragraph.split()).casefold()


@dataclass(frozen=True)
class Text:
    """A version's text in one or both working languages, numbered alike."""

    es: list[str] | None
    en: list[str] | None

    def __post_init__(self) -> None:
        if not self.es and not self.en:
            raise InvalidInput("a text needs paragraphs in Spanish or English")
        if self.es and self.en and len(self.es) != len(self.en):
            raise InvalidInput(
                f"the Spanish text has {len(self.es)} paragraphs and the English "
                f"{len(self.en)}: paragraph numbers must match across languages",
                phrase="paragraph_counts",
                es=len(self.es),
                en=len(self.en),
            )

    def in_language(self, language: Language) -> list[str]:
        """The reader's language when it exists, else the other one."""
        preferred, other = (self.es, self.en) if language is Language.ES else (self.en, self.es)
        result = preferred or other
        assert result is not None
        return result

    @property
    def paragraph_count(self) -> int:
        return len(self.es or self.en or [])
