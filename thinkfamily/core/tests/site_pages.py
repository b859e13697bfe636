"""The pages of the whole site, read from the URL configuration, for the tests that ask them all."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver, reverse

#: Pages that take only a POST (asking them with GET says nothing and changes nothing).
POST_ONLY = frozenset({"accounts:logout"})


def pages_without_ids() -> list[tuple[str, str]]:
    """(name, URL) of every named page whose path takes no id, GET-able ones only."""
    found: list[tuple[str, str]] = []

    def walk(resolver: URLResolver, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name and not entry.pattern.converters:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                if name not in POST_ONLY:
                    found.append((name, reverse(name)))

    walk(get_resolver(), "")
    return found
