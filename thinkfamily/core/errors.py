"""The one exception base class for business-rule failures.

Services raise ``ApplicationError`` (or a subclass) when a request cannot be
carried out; views and commands turn it into a message for the user. It
carries a human sentence and, where input was at fault, the fields concerned.
"""

from collections.abc import Mapping


class ApplicationError(Exception):
    """A request that breaks a business rule, explained in words a user can act on."""

    def __init__(self, message: str, *, extra: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra: dict[str, object] = dict(extra or {})
