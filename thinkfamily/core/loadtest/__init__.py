"""The load test's locustfile: signed-in practitioners using the site as they do in a day.

``thinkfamily bench load`` (``thinkfamily.core.benchmarks_load``) runs it against
gunicorn; ``thinkfamily/core/tests/test_load.py`` runs it briefly in CI.
"""
