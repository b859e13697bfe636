"""Given names and the short forms people go by.

An agency may record Thomas as "Tom", Elizabeth as "Liz" or "Beth". The
curated list of English names and nicknames in the ``nicknames`` package says
which names are forms of each other. The relation is used one step at a
time — a name matches the names listed as its own forms — never through a
shared third name: Danielle and Eleanor are both "Ellie", and two sisters
must not become one person because of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from nicknames import NickNamer

#: Given names an agency writes before a child has a name of their own.
PLACEHOLDER_GIVEN_NAMES = frozenset(
    {"baby", "unborn", "infant", "babyboy", "babygirl", "unknown", "unnamed", "twin", "twina"}
)

_NOT_A_LETTER = re.compile(r"[^a-z]")


def name_key(name: str) -> str:
    """A name reduced to lower-case letters, for comparison.

    Example:
        >>> name_key("O'Brien-Smith ")
        'obriensmith'
    """
    return _NOT_A_LETTER.sub("", name.lower())


@cache
def _namer() -> NickNamer:
    return NickNamer()


def forms_of(name: str) -> list[str]:
    """The names that ``name`` is a recorded short or long form of, as name keys.

    Example:
        >>> "thomas" in forms_of("tom")
        True
        >>> forms_of("xanthe")
        []
    """
    namer = _namer()
    forms = namer.canonicals_of(name) | namer.nicknames_of(name)
    return sorted({key for form in forms if (key := name_key(form)) and key != name})


def forms_table(names: Iterable[str]) -> tuple[list[str], list[list[str]]]:
    """Columns (name, forms) for every distinct name that has forms, for a lookup join."""
    keys: list[str] = []
    forms: list[list[str]] = []
    for name in sorted(set(names)):
        if name and (found := forms_of(name)):
            keys.append(name)
            forms.append(found)
    return keys, forms
