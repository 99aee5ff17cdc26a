"""User-facing errors: each carries a one-line message that names the problem.

The CLI prints ``error: <message>`` for any :class:`NetspaceError` and exits with status 2, never a traceback.
"""


class NetspaceError(Exception):
    """Base class of errors caused by user input or environment, reported as one line."""

    def __str__(self) -> str:  # keep messages on one line whatever callers pass
        return " ".join(str(self.args[0] if self.args else "").split())


class UnknownSpaceError(NetspaceError, KeyError):
    """A design-space name that is not registered."""


class InvalidConfigError(NetspaceError, ValueError):
    """A config that violates its design space's constraints or ranges."""


class RegimeError(NetspaceError, ValueError):
    """A malformed complexity range, or one no sampled config falls into."""


class DatasetError(NetspaceError, FileNotFoundError):
    """A dataset path that is missing or does not hold what was expected."""


class CampaignError(NetspaceError, ValueError):
    """A malformed campaign file or an unknown campaign."""


class StorageError(NetspaceError, ConnectionError):
    """A storage URL that cannot be reached or used."""
