"""Reading replies: kind, the sender's own words, position, amendments and extension requests."""

from mail.reading.amendments import Amendment
from mail.reading.reading import Reading, read_reply, split_paragraphs, to_label

__all__ = ["Amendment", "Reading", "read_reply", "split_paragraphs", "to_label"]
