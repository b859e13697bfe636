"""Professional conversations about a family, with a clear status, outcomes and owned actions."""
