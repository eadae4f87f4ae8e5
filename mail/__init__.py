"""Email front: outbound drafts, inbound replies, and reading what a reply says."""
