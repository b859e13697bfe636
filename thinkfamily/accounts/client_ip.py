"""The client's IP address for the lock-out, safe behind a known number of reverse proxies.

A client can send any ``X-Forwarded-For`` it likes, so the header is trusted only when
``THINKFAMILY_TRUSTED_PROXY_COUNT`` says how many proxies of our own stand in front of the
site: each appends the address it received the request from, so the address the outermost
proxy saw is that many entries from the right. Without proxies, ``REMOTE_ADDR``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip_address(request: HttpRequest) -> str | None:
    """The address failures are counted against (django-axes' ``AXES_CLIENT_IP_CALLABLE``).

    Example: with one proxy, ``X-Forwarded-For: 6.6.6.6, 203.0.113.7`` gives
    ``203.0.113.7`` — the client forged the first entry; the proxy wrote the last.
    """
    proxies: int = settings.THINKFAMILY_TRUSTED_PROXY_COUNT
    remote_addr: str | None = request.META.get("REMOTE_ADDR")
    if proxies <= 0:
        return remote_addr
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < proxies:
        # Not through all our proxies: count it against the nearest address we know.
        return remote_addr
    return forwarded[-proxies]
