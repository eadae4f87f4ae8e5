"""Jinja2 templates for everything a person reads, one per message and language."""

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from templates.markdown import markdown_escape

TEMPLATES = Path(__file__).parent


def environment() -> Environment:
    """The one environment: strict about missing values, escaping HTML templates."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "htm", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_escape  # Markdown pages: what people wrote stays text
    return env
