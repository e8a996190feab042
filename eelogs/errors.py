"""The exceptions every stage raises; cli.py turns them into `Error: …` / `Hint: …` and exit 2."""


class EelogsError(Exception):
    """A user or input error: a message and an optional hint that names the fix."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class SourceError(EelogsError):
    """An input could not be opened or a spawned reader (journalctl, docker) failed."""


class CatalogError(EelogsError):
    """A pattern file is malformed: `file: key: problem`."""


class OutputError(EelogsError):
    """The report could not be written."""


class TimeSpecError(EelogsError):
    """A --since/--until value could not be understood."""
