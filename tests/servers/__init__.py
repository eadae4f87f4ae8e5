"""Real mail servers for tests, on free loopback ports: Dovecot (IMAP), aiosmtpd (SMTP), a
misbehaving IMAP proxy, and a throwaway TLS certificate."""
