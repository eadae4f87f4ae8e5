"""The web console: the PPT's, the ST's and the Troika's place in a browser (sign-in by
emailed link, the board, and the pages registered under ``web.pages``)."""
