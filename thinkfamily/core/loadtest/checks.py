"""What the locustfile calls each kind of request, and how it reads a page it was given.

Kept apart from the locustfile, which imports locust (and with it gevent's patching of
the standard library), so the tests and the benchmark can use them too.
"""

from __future__ import annotations

import html
import re

#: Each kind of request's name in locust's statistics.
SIGN_IN_PAGE = "sign-in page GET /sign-in/"
SIGN_IN_PASSWORD = "sign in: password POST /sign-in/"
SIGN_IN_CODE_PAGE = "sign in: code page GET /sign-in/code/"
SIGN_IN_CODE = "sign in: code POST /sign-in/code/"
START_PAGE = "start page GET /"
SEARCH = "search GET /?q="
PERSON = "person page GET /people/[id]/"
FAMILY = "family page GET /households/[id]/"
CONCERN_FORM = "concern form GET /people/[id]/concern/"
CONCERN_POST = "record a concern POST /people/[id]/concern/"
CONCERN_DONE = "person page after the concern GET /people/[id]/"
PROMPT = "prompt page GET /prompts/[id]/"
PROMPT_POST = "answer a prompt POST /prompts/[id]/"
PROMPT_DONE = "worklist after the answer GET /prompts/"
WORKLIST = "worklist GET /prompts/"
#: The requests of signing in, once per user at its start; the rest is the day's work.
SIGNING_IN = (SIGN_IN_PAGE, SIGN_IN_PASSWORD, SIGN_IN_CODE_PAGE, SIGN_IN_CODE, START_PAGE)
#: The name of the figures of every request but signing in.
AFTER_SIGN_IN = "after sign-in"

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.DOTALL)
_ERROR_MESSAGE = re.compile(r'class="govuk-error-message">(.*?)</', re.DOTALL)


def heading_names(page: str, text: str) -> bool:
    """Whether an ``<h1>`` of ``page`` holds ``text``, as the templates escape it (the
    heading's runs of white space read as one space)."""
    wanted = html.escape(" ".join(text.split()))
    return any(wanted in " ".join(h1.split()) for h1 in _H1.findall(page))


def csrf_token(page: str) -> str | None:
    """The CSRF token of the page's form, if it has one."""
    match = _CSRF.search(page)
    return match.group(1) if match else None


def error_messages(page: str) -> list[str]:
    """The error messages a form page shows beside its fields."""
    return [" ".join(message.split()) for message in _ERROR_MESSAGE.findall(page)]
