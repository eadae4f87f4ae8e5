"""Jinja2 templates for every message a person reads, one per message and language."""
