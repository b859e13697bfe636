"""The API's endpoints, one router per subject, mounted in ``api.api``."""
