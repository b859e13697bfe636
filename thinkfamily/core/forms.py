"""What every form page does with a service's refusal."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from thinkfamily.core.errors import ApplicationError


def errors_onto_form(
    form: forms.Form, error: ApplicationError, *, field_of: Mapping[str, str] | None = None
) -> None:
    """Put each of the service's messages against its question, or on the form as a whole.

    Services name problems by their own argument names (``ApplicationError.extra``);
    ``field_of`` maps a service's name to the form's where they differ. A problem
    with no field on the form, and a refusal naming no field, go to the top.
    """
    for problem, message in error.extra.items():
        name = (field_of or {}).get(problem, problem)
        form.add_error(name if name in form.fields else None, str(message))
    if not error.extra:
        form.add_error(None, error.message)
