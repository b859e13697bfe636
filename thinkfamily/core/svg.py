"""Writing SVG by hand, safely: the few helpers the genogram and the indicator charts share.

Every attribute value is escaped and every text is cleaned of characters XML
cannot hold, so names and titles typed by people can never break the markup
or inject any. Pure functions, no Django.
"""

from __future__ import annotations

import html
import re

#: An element's attributes: numbers are written with at most one decimal place.
Attributes = dict[str, str | float]

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """Text with characters XML cannot hold removed and spaces collapsed."""
    return " ".join(_NOT_XML.sub("", text).split())


def number(value: float) -> str:
    """A coordinate or size as SVG wants it: "12", "12.5", never "-0"."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def tag(name: str, attributes: Attributes, content: str | None = None) -> str:
    """One element; attribute values escaped, ``content`` already markup."""
    written = "".join(
        f' {attribute}="{number(value) if isinstance(value, float | int) else html.escape(value)}"'
        for attribute, value in attributes.items()
    )
    if content is None:
        return f"<{name}{written}/>"
    return f"<{name}{written}>{content}</{name}>"


def text(value: str) -> str:
    """Text content, cleaned and escaped."""
    return html.escape(clean(value), quote=False)
