"""The Slack front: slash commands, the Troika's buttons, the live status message."""
