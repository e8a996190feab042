"""eelogs: read EmailEngine's pino logs and say which mail accounts fail, why, and what to do."""

__version__ = "0.1.0"
