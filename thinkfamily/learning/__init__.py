"""The partnership's learning loop: case reviews, their findings and recommendations, action
plans with evidence and compliance checks, indicators measured from the live record,
briefings and their dissemination, the public page of published findings, and the ingest
of a published review into a draft register entry."""
