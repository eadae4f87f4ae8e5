"""The page image kept with a held message read by OCR: what every front shows a reviewer
beside the text the service read (Slack uploads it, the review email carries it inline, the
web console serves it)."""

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from store.tables import InboundPageImageRow

CONTENT_TYPE = "image/png"


@dataclass(frozen=True)
class PageImage:
    filename: str  # the attachment it was rendered from ("nota-DGPE-0417.pdf")
    png: bytes

    @property
    def image_name(self) -> str:
        """A file name for the PNG itself: the attachment's stem, page 1."""
        stem = self.filename.rsplit(".", 1)[0] or "page"
        return f"{stem}-p1.png"


async def page_image(session: AsyncSession, inbound_id: int) -> PageImage | None:
    """The PNG of the first page of the scanned note a message carried, if it had one."""
    row = await session.get(InboundPageImageRow, inbound_id)
    return None if row is None else PageImage(row.filename, row.png)
