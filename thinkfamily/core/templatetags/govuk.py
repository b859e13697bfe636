"""GOV.UK Design System components as Django template tags.

Templates ask for a component by name and never copy its markup; the markup
lives once, in ``core/templates/core/components/``, following GOV.UK Frontend
6. Components whose body is other markup (a table's rows, a summary list's
value) are block tags::

    {% load govuk %}
    {% govuk_table "Agency" "Record id" caption="Agency records" %}
      <tr class="govuk-table__row">…</tr>
    {% endgovuk_table %}

    {% govuk_summary_list %}
      {% govuk_summary_row "NHS number" %}{{ person.nhs_number }}{% endgovuk_summary_row %}
    {% endgovuk_summary_list %}

The filters format values the way GOV.UK content does ("3 April 2019").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms, template
from django.template.base import FilterExpression, NodeList, Parser, TextNode, Token, token_kwargs
from django.template.context import Context
from django.template.defaultfilters import date as format_date
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

register = template.Library()

#: How GOV.UK writes a date: "3 April 2019", no leading zero, no ordinal.
GOVUK_DATE_FORMAT = "j F Y"


@register.filter(expects_localtime=True)
def govuk_date(value: dt.date | dt.datetime | None, missing: str = "Not known") -> str:
    """A date or a moment as GOV.UK writes dates ("3 April 2019"); ``missing`` when empty."""
    if not value:
        return missing
    return format_date(value, GOVUK_DATE_FORMAT)


@register.filter
def age_today(person: Any) -> int | None:
    """Whole years of age today, from the object's own ``age_on`` rule (None when unknown)."""
    return person.age_on(timezone.localdate())


@register.filter
def yes_no(value: object) -> str:
    return "Yes" if value else "No"


@register.filter
def percent(value: float | None, missing: str = "Not scored") -> str:
    """A probability as a percentage to one decimal place ("87.5%"); ``missing`` when empty."""
    if value is None:
        return missing
    return f"{value * 100:.1f}%"


@register.inclusion_tag("core/components/tag.html")
def govuk_tag(text: str, colour: str = "", classes: str = "") -> dict[str, str]:
    """A tag (``govuk-tag``); ``colour`` is a GOV.UK tag colour such as "grey" or "red"."""
    modifier = f"govuk-tag--{colour}" if colour else ""
    return {"text": text, "classes": " ".join(part for part in (modifier, classes) if part)}


@register.inclusion_tag("core/components/button.html")
def govuk_button(text: str, classes: str = "") -> dict[str, str]:
    """A submit button (``govuk-button``); ``classes`` may add "govuk-button--secondary"."""
    return {"text": text, "classes": classes}


@register.simple_block_tag
def govuk_summary_list(content: SafeString, classes: str = "") -> SafeString:
    """A summary list (``govuk-summary-list``) around ``govuk_summary_row`` tags."""
    return render_to_string(
        "core/components/summary_list.html", {"content": content, "classes": classes}
    )


@register.simple_block_tag
def govuk_summary_row(content: SafeString, key: str) -> SafeString:
    """One row of a summary list: ``key``, and the block's content as the value."""
    return render_to_string("core/components/summary_row.html", {"key": key, "value": content})


@register.simple_block_tag
def govuk_table(
    content: SafeString, *head: str, caption: str = "", caption_size: str = "m", classes: str = ""
) -> SafeString:
    """A table (``govuk-table``) with the given column headings; the block holds its rows."""
    return render_to_string(
        "core/components/table.html",
        {
            "head": head,
            "rows": content,
            "caption": caption,
            "caption_size": caption_size,
            "classes": classes,
        },
    )


@register.simple_block_tag
def govuk_warning_text(content: SafeString) -> SafeString:
    """Warning text (``govuk-warning-text``): something the user must not miss."""
    return render_to_string("core/components/warning_text.html", {"content": content})


@register.simple_block_tag
def govuk_inset_text(content: SafeString) -> SafeString:
    """Inset text (``govuk-inset-text``): a note that qualifies what is around it."""
    return render_to_string("core/components/inset_text.html", {"content": content})


@register.inclusion_tag("core/components/input.html")
def govuk_input(
    name: str,
    label: str,
    *,
    value: object = "",
    input_id: str = "",
    hint: str = "",
    error: str = "",
    input_type: str = "text",
    autocomplete: str = "",
    spellcheck: bool | None = None,
    label_is_page_heading: bool = False,
    classes: str = "",
) -> dict[str, object]:
    """A text input (``govuk-input``) with its label, hint and error message.

    With ``label_is_page_heading`` the label is the page's ``h1``, as GOV.UK
    asks for a page whose only question is this input.
    """
    input_id = input_id or name
    return {
        "name": name,
        "id": input_id,
        "label": label,
        "value": "" if value is None else value,
        "hint": hint,
        "error": error,
        "type": input_type,
        "autocomplete": autocomplete,
        "spellcheck": spellcheck,
        "label_is_page_heading": label_is_page_heading,
        "classes": classes,
        "described_by": _described_by(input_id, hint, error),
    }


@register.inclusion_tag("core/components/input.html")
def govuk_field(
    field: forms.BoundField,
    *,
    input_type: str = "text",
    autocomplete: str = "",
    spellcheck: bool | None = None,
    classes: str = "",
) -> dict[str, object]:
    """A form field as a GOV.UK text input, with the field's label, help text and first error."""
    keep_value = input_type != "password"
    return govuk_input(
        field.html_name,
        str(field.label),
        value=field.value() if keep_value else "",
        input_id=field.id_for_label,
        hint=str(field.help_text),
        error=str(field.errors[0]) if field.errors else "",
        input_type=input_type,
        autocomplete=autocomplete,
        spellcheck=spellcheck,
        classes=classes,
    )


@register.inclusion_tag("core/components/textarea.html")
def govuk_textarea(
    field: forms.BoundField, *, rows: int = 5, classes: str = ""
) -> dict[str, object]:
    """A form field as a GOV.UK textarea, with its label, help text and first error."""
    return _labelled(field) | {"value": field.value() or "", "rows": rows, "classes": classes}


def _choices(field: forms.BoundField, checked: set[str]) -> list[dict[str, object]]:
    """The options of a choice field; each label's hint is the text after " — ", if any.

    The first option carries the field's own id, so the error summary's link
    (``#id_<name>``) lands on it, as GOV.UK asks.
    """
    field_id = field.auto_id
    options = []
    for index, (value, label) in enumerate(field.field.choices):  # type: ignore[attr-defined]
        text, _, hint = str(label).partition(" — ")
        options.append(
            {
                "id": field_id if index == 0 else f"{field_id}-{index + 1}",
                "value": value,
                "label": text,
                "hint": hint,
                "checked": str(value) in checked,
            }
        )
    return options


def _fieldset(
    field: forms.BoundField,
    options: list[dict[str, object]],
    *,
    legend_is_page_heading: bool = False,
    legend_size: str = "m",
) -> dict[str, object]:
    """What a fieldset of radios or checkboxes needs: its legend, hint, error and options."""
    field_id = field.auto_id
    hint = str(field.help_text)
    error = str(field.errors[0]) if field.errors else ""
    return {
        "name": field.html_name,
        "id": field_id,
        "legend": str(field.label),
        "legend_is_page_heading": legend_is_page_heading,
        "legend_size": legend_size,
        "hint": hint,
        "error": error,
        "options": options,
        "described_by": " ".join(
            part
            for part, present in ((f"{field_id}-hint", hint), (f"{field_id}-error", error))
            if present
        ),
    }


@register.inclusion_tag("core/components/radios.html")
def govuk_radios(
    field: forms.BoundField,
    *,
    legend_is_page_heading: bool = False,
    legend_size: str = "m",
) -> dict[str, object]:
    """A choice field as GOV.UK radios in a fieldset whose legend is the field's label.

    The first radio carries the field's own id, so the error summary's link
    (``#id_<name>``) lands on it, as GOV.UK asks. Each choice's hint is the
    text after " — " in its label, if any. For questions revealed by an
    answer, use ``govuk_conditional_radios``.
    """
    options = _choices(field, {str(field.value())})
    return _fieldset(
        field, options, legend_is_page_heading=legend_is_page_heading, legend_size=legend_size
    )


@register.inclusion_tag("core/components/checkboxes.html")
def govuk_checkboxes(
    field: forms.BoundField,
    *,
    legend_is_page_heading: bool = False,
    legend_size: str = "m",
    small: bool = False,
) -> dict[str, object]:
    """A multiple-choice field as GOV.UK checkboxes in a fieldset whose legend is its label.

    Hints and ids as ``govuk_radios``: the text after " — " in a choice's
    label is its hint, and the first checkbox carries the field's own id.
    """
    options = _choices(field, {str(value) for value in field.value() or ()})
    context = _fieldset(
        field, options, legend_is_page_heading=legend_is_page_heading, legend_size=legend_size
    )
    return context | {"small": small}


class _RevealNode(template.Node):
    """``{% govuk_reveal "value" %}…{% endgovuk_reveal %}``: questions shown for one answer."""

    def __init__(self, value: FilterExpression, nodelist: NodeList) -> None:
        self.value = value
        self.nodelist = nodelist

    def render(self, context: Context) -> str:
        # Rendered by the radios around it, after their answer.
        return ""


class _ConditionalRadiosNode(template.Node):
    """Radios, each answer followed by the questions it reveals (``govuk_conditional_radios``)."""

    def __init__(
        self,
        field: FilterExpression,
        options: dict[str, FilterExpression],
        reveals: list[_RevealNode],
    ) -> None:
        self.field = field
        self.options = options
        self.reveals = reveals

    def render(self, context: Context) -> str:
        field = self.field.resolve(context)
        revealed = {str(reveal.value.resolve(context)): reveal for reveal in self.reveals}
        options = _choices(field, {str(field.value())})
        for option in options:
            reveal = revealed.get(str(option["value"]))
            option["conditional"] = reveal.nodelist.render(context) if reveal else ""
        settings = {name: value.resolve(context) for name, value in self.options.items()}
        return render_to_string(
            "core/components/radios.html", _fieldset(field, options, **settings)
        )


@register.tag("govuk_conditional_radios")
def govuk_conditional_radios(parser: Parser, token: Token) -> _ConditionalRadiosNode:
    """Radios whose answers reveal further questions (GOV.UK "conditionally revealing").

    ::

        {% govuk_conditional_radios form.family_informed %}
          {% govuk_reveal "yes" %}{% govuk_field form.informed_on %}…{% endgovuk_reveal %}
          {% govuk_reveal "no" %}{% govuk_radios form.not_informed_reason %}{% endgovuk_reveal %}
        {% endgovuk_conditional_radios %}

    The revealed questions follow their answer. GOV.UK Frontend's script hides
    those of answers not chosen; without JavaScript every question shows, so
    the page still works. Options as ``govuk_radios`` (``legend_size=…``).
    """
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]} needs a form field")
    field = parser.compile_filter(bits[1])
    options = token_kwargs(bits[2:], parser)
    nodelist = parser.parse(("endgovuk_conditional_radios",))
    parser.delete_first_token()
    reveals = []
    for node in nodelist:
        if isinstance(node, _RevealNode):
            reveals.append(node)
        elif not (isinstance(node, TextNode) and not node.s.strip()):
            raise template.TemplateSyntaxError(f"Only govuk_reveal blocks may go inside {bits[0]}")
    return _ConditionalRadiosNode(field, options, reveals)


@register.tag("govuk_reveal")
def govuk_reveal(parser: Parser, token: Token) -> _RevealNode:
    """The questions one answer of ``govuk_conditional_radios`` reveals."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} needs the answer it follows")
    value = parser.compile_filter(bits[1])
    nodelist = parser.parse(("endgovuk_reveal",))
    parser.delete_first_token()
    return _RevealNode(value, nodelist)


@register.inclusion_tag("core/components/notification_banner.html")
def govuk_notification_banner(text: str, *, success: bool = True) -> dict[str, object]:
    """A notification banner (``govuk-notification-banner``); green "Success" by default."""
    return {"text": text, "success": success}


@register.inclusion_tag("core/components/error_summary.html")
def govuk_error_summary(
    form: forms.BaseForm | None = None, *, refusal: str = "", href: str = "#main-content"
) -> dict[str, object]:
    """The error summary (``govuk-error-summary``) for a form, each error linking to its field.

    Errors that belong to no one field link to the form's first field, where
    the user would start to put things right. ``refusal`` is a request
    refused as a whole (someone else got there first, or the user may not),
    linking to ``href``, where the page shows what may be done now.
    """
    errors: list[tuple[str, object]] = [(href, refusal)] if refusal else []
    if form is None or not form.errors:
        return {"errors": errors}
    fields = list(form)
    visible = form.visible_fields()  # not a hidden input, such as a record's version
    # Radios have no one input to label, so they are linked by the field's own id.
    first_field_id = (visible[0].id_for_label or visible[0].auto_id) if visible else ""
    errors += [(f"#{first_field_id}", message) for message in form.non_field_errors()]
    for field in fields:
        field_id = field.id_for_label or field.auto_id
        errors.extend((f"#{field_id}", message) for message in field.errors)
    return {"errors": errors}


def _described_by(input_id: str, hint: str, error: str) -> str:
    return " ".join(
        part
        for part, present in ((f"{input_id}-hint", hint), (f"{input_id}-error", error))
        if present
    )


def _labelled(field: forms.BoundField) -> dict[str, object]:
    """What a labelled control needs: its name, id, label, hint, first error and the ids that
    describe it."""
    input_id = field.id_for_label
    hint = str(field.help_text)
    error = str(field.errors[0]) if field.errors else ""
    return {
        "name": field.html_name,
        "id": input_id,
        "label": str(field.label),
        "hint": hint,
        "error": error,
        "described_by": _described_by(input_id, hint, error),
    }


@register.inclusion_tag("core/components/select.html")
def govuk_select(field: forms.BoundField, *, classes: str = "") -> dict[str, object]:
    """A choice field as a GOV.UK select, for lists too long for radios (agencies, say)."""
    current = str(field.value() or "")
    return _labelled(field) | {
        "classes": classes,
        "options": [
            {"value": str(value), "label": str(label), "selected": str(value) == current}
            for value, label in field.field.choices  # type: ignore[attr-defined]
        ],
    }


@register.inclusion_tag("core/components/file_upload.html")
def govuk_file_upload(field: forms.BoundField, *, accept: str = "") -> dict[str, object]:
    """A file field as a GOV.UK file upload; ``accept`` suggests the allowed types to browsers."""
    return _labelled(field) | {"accept": accept}
