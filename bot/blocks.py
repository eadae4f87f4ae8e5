"""Block Kit pieces shared by the direct messages, within Slack's limits."""

from typing import Any

from bot.texts import escape

Block = dict[str, Any]
SECTION_LIMIT = 2900  # a section holds 3,000 characters
MESSAGE_LIMIT = 45  # a message holds 50 blocks; room is kept for the intro and the buttons


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    found: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label[:75]},
        "action_id": action_id,
        "value": value,
    }
    if style:
        found["style"] = style
    return found


def paragraphs(text: list[str]) -> list[Block]:
    """Numbered as in every other copy of the text; a long text over several sections."""
    found: list[Block] = []
    chunk = ""
    for number, paragraph in enumerate(text, start=1):
        line = f"*{number}.* {escape(paragraph)}"
        if chunk and len(chunk) + len(line) + 2 > SECTION_LIMIT:
            found.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n\n{line}" if chunk else line[:SECTION_LIMIT]
    if chunk:
        found.append(section(chunk))
    return found[:MESSAGE_LIMIT]
