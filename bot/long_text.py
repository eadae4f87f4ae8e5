"""A consultation's text in a direct message: its first paragraphs, and the whole as a file.

A long text does not fit one message: about 38,000 characters for 60 paragraphs, where Slack
refuses a message past about 12,000 characters of blocks (``bot.limits``), and such a notice
failed for good. The message shows the paragraphs that fit in ``TEXT_BUDGET`` and says how many
of how many it shows; the outbox sends the whole text with it as a file, in the message's thread.
"""

from dataclasses import dataclass

from bot.blocks import Block, context, paragraphs
from bot.texts import Phrasebook
from consultation.vocabulary import Language

# Characters of the text in one message; the rest of its 10,000 is the introduction (a title
# may be long), the note on what is left out and the buttons.
TEXT_BUDGET = 6500


@dataclass(frozen=True)
class TextFile:
    """A file for ``files_upload_v2``: the whole text, numbered as in the message."""

    filename: str
    title: str
    content: str

    def arguments(self) -> dict[str, str]:
        return {"filename": self.filename, "title": self.title, "content": self.content}


def text_blocks(
    text: list[str], book: Phrasebook, *, consultation_id: str, version: int, language: Language
) -> tuple[list[Block], TextFile | None]:
    """The paragraphs that fit; when some do not, a sentence saying so and the file."""
    blocks, shown = paragraphs(text, budget=TEXT_BUDGET)
    if shown == len(text):
        return blocks, None
    blocks.append(context(book.text_continues(shown=shown, total=len(text))))
    numbered = "\n\n".join(f"{n}. {paragraph}" for n, paragraph in enumerate(text, start=1))
    return blocks, TextFile(
        filename=f"{consultation_id}-v{version}.{language.value}.txt",
        title=book.text_file_title(id=consultation_id, version=version),
        content=numbered + "\n",
    )
