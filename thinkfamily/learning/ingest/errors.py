"""The one exception class of the review ingest."""


class IngestError(Exception):
    """A review could not be read: the file is missing or unreadable, of a type the ingest
    does not read, empty, or a PDF with no text layer (a scan) to read words from."""
