"""The one root exception of RadKB and its small subclasses."""


class KBError(Exception):
    """Base of every error RadKB raises on purpose; its message is meant for a person."""


class InputError(KBError):
    """A report, file or query that does not have the expected shape."""


class ReportError(InputError):
    """One report is malformed; `key` names it so a batch can skip it and go on."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"report {key!r}: {reason}")
        self.key = key
        self.reason = reason


class QueryError(InputError):
    """A cohort criterion or phrase that cannot be read."""


class StoreError(KBError):
    """The store could not be opened, reached or written."""


class StoreUnavailable(StoreError):
    """The store's server does not answer now; the same request may succeed later."""
