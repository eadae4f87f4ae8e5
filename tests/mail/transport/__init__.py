"""Transport tests (SMTP out, IMAP in) against real servers."""
