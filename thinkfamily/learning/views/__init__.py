"""The learning loop's pages: the register (``register``), briefings and their sessions
(``briefings``), and what the public and practitioners may search and read (``public``)."""
