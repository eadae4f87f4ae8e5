"""Checks a Web API call's arguments (a message, or a view) against Slack's limits (bot.limits)."""

from typing import Any

from bot import limits
from bot.blocks import block_text


def problems(arguments: dict[str, Any], *, view: bool = False) -> list[str]:
    """Every limit the call breaks, in words; empty when Slack would take it."""
    found: list[str] = []
    blocks: list[dict[str, Any]] = (
        arguments["view"]["blocks"] if view else arguments.get("blocks") or []
    )
    most = limits.VIEW_BLOCKS if view else limits.MESSAGE_BLOCKS
    if len(blocks) > most:
        found.append(f"{len(blocks)} blocks (at most {most})")
    if not view:
        text = str(arguments.get("text") or "")
        if len(text) > limits.MESSAGE_TEXT:
            found.append(f"text of {len(text)} characters")
        total = block_text(blocks)
        if total > limits.MESSAGE_BLOCKS_TEXT:
            found.append(f"{total} characters of block text (msg_blocks_too_long)")
    for n, block in enumerate(blocks):
        found += [f"block {n} ({block['type']}): {p}" for p in _block(block)]
    return found


def assert_within_limits(arguments: dict[str, Any], *, view: bool = False) -> None:
    broken = problems(arguments, view=view)
    assert not broken, "beyond Slack's limits: " + "; ".join(broken)


def _block(block: dict[str, Any]) -> list[str]:
    found = _longer(block.get("block_id"), limits.BLOCK_ID, "block_id")
    kind = block["type"]
    if kind == "section":
        found += _longer(block.get("text", {}).get("text"), limits.SECTION_TEXT, "text")
        fields = block.get("fields") or []
        if len(fields) > 10:
            found.append(f"{len(fields)} fields")
        for field in fields:
            found += _longer(field.get("text"), 2000, "field")
    elif kind == "header":
        found += _longer(block["text"]["text"], limits.HEADER_TEXT, "header")
        if block["text"]["type"] != "plain_text":
            found.append("a header takes plain text only")
    elif kind == "context":
        elements = block["elements"]
        if len(elements) > limits.CONTEXT_ELEMENTS:
            found.append(f"{len(elements)} context elements")
        for element in elements:
            found += _longer(element.get("text"), limits.TEXT_OBJECT, "context text")
    elif kind == "actions":
        elements = block["elements"]
        if len(elements) > limits.ACTIONS_ELEMENTS:
            found.append(f"{len(elements)} actions")
        for element in elements:
            found += _longer(element.get("text", {}).get("text"), limits.BUTTON_TEXT, "button")
            found += _longer(element.get("value"), limits.BUTTON_VALUE, "button value")
            found += _longer(element.get("action_id"), limits.BLOCK_ID, "action_id")
    for field in ("text",):
        value = block.get(field)
        if isinstance(value, dict) and not value.get("text"):
            found.append("empty text")
    return found


def _longer(text: str | None, limit: int, what: str) -> list[str]:
    return (
        [f"{what} of {len(text)} characters (at most {limit})"]
        if text and len(text) > limit
        else []
    )
