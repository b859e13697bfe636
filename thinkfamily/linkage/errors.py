"""The one exception base class of the linkage package."""


class LinkageError(Exception):
    """Linkage could not run as asked: bad input records, an unknown engine, a broken model file."""
