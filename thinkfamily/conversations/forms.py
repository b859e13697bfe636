"""The conversation forms: recording one, amending it, answering it, closing an action.

The forms parse what was typed; the services decide what is missing and say
so by field (``ApplicationError.extra``), and the views put each message
against its field. Outcomes are typed one a line. Participants with an
account are named by username, one a line, so a name that is not a user's is
refused by name; others are typed as "name, agency".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from thinkfamily.accounts.models import Agency, User
from thinkfamily.conversations.models import Conversation, ConversationVersion
from thinkfamily.conversations.services import ActionToTake, Taking
from thinkfamily.people.models import Person
from thinkfamily.referrals.forms import DATE_HINT, parse_day

#: How many action rows the record and amend pages offer.
ACTION_ROWS = 3


def _text(label: str, *, help_text: str = "", textarea: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        widget=forms.Textarea if textarea else forms.TextInput,
    )


def _radios(label: str, choices: Any, *, help_text: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        help_text=help_text,
        choices=choices,
        widget=forms.RadioSelect,
        required=False,
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


STATUS_CHOICES = [
    (ConversationVersion.Status.INFORMATION_SHARED,
     "Information shared only — nobody was advised or asked to do anything"),
    (ConversationVersion.Status.ADVICE_GIVEN,
     "Advice given — the person who asked decides what to do"),
    (ConversationVersion.Status.DECISION_MADE,
     "Decision made — those present agreed what will happen"),
]  # fmt: skip


class OutcomesMixin(forms.Form):
    status = _radios("What did the conversation come to?", STATUS_CHOICES)
    summary = _text("Summary of what was discussed (optional)")
    outcomes = _text(
        "Agreed outcomes",
        help_text="One a line, each a sentence saying who will do what, ending with a full stop.",
    )

    def outcome_list(self) -> list[str]:
        return _lines(self.cleaned_data.get("outcomes", ""))


class ActionRowsMixin(forms.Form):
    """A few rows of actions: what, the owning agency (and person, if known), by when.

    Rows left empty are ignored; a row partly filled becomes an action, and the
    service names what it lacks (an owner, a due date).
    """

    def add_action_rows(self) -> None:
        agencies = [("", "Choose an agency")] + [
            (str(a.pk), a.name) for a in Agency.objects.order_by("name")
        ]
        for number in range(1, ACTION_ROWS + 1):
            self.fields[f"action_{number}"] = _text(
                f"Action {number}: what is to be done", textarea=False
            )
            self.fields[f"action_{number}_agency"] = forms.ChoiceField(
                label=f"Action {number}: agency that owns it", choices=agencies, required=False
            )
            self.fields[f"action_{number}_owner"] = forms.CharField(
                label=f"Action {number}: the person who owns it, if known (optional)",
                help_text="Their Think Family username, in the agency that owns the action.",
                required=False,
            )
            self.fields[f"action_{number}_due_on"] = forms.CharField(
                label=f"Action {number}: due date", help_text=DATE_HINT, required=False
            )

    def action_rows(
        self,
    ) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (
                self[f"action_{n}"],
                self[f"action_{n}_agency"],
                self[f"action_{n}_owner"],
                self[f"action_{n}_due_on"],
            )
            for n in range(1, ACTION_ROWS + 1)
        ]

    def clean_action_rows(self, cleaned: dict[str, Any]) -> None:
        self._actions: list[ActionToTake] = []
        for number in range(1, ACTION_ROWS + 1):
            description = cleaned.get(f"action_{number}", "").strip()
            agency_id = cleaned.get(f"action_{number}_agency", "")
            owner_name = cleaned.get(f"action_{number}_owner", "").strip()
            due_text = cleaned.get(f"action_{number}_due_on", "").strip()
            if not (description or agency_id or owner_name or due_text):
                continue
            owner = User.objects.filter(username=owner_name).first() if owner_name else None
            if owner_name and owner is None:
                self.add_error(f"action_{number}_owner", f"No one has the username “{owner_name}”")
            due_on = parse_day(due_text) if due_text else None
            if due_text and due_on is None:
                self.add_error(
                    f"action_{number}_due_on", f"Enter the date as day month year ({DATE_HINT})"
                )
            self._actions.append(
                ActionToTake(
                    description,
                    Agency.objects.filter(pk=agency_id).first() if agency_id else None,
                    due_on,
                    owner,
                )
            )

    def actions(self) -> list[ActionToTake]:
        return self._actions


class RecordConversationForm(ActionRowsMixin, OutcomesMixin):
    """A conversation about the children of one household, or of one child."""

    kind = _radios("What kind of conversation was it?", Conversation.Kind.choices)
    held_on = forms.CharField(label="When was it held?", help_text=DATE_HINT, required=False)
    children = forms.MultipleChoiceField(
        label="Which children was it about?",
        help_text="Every child living in the household is listed.",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    participants = _text(
        "Participants with an account",
        help_text="Their usernames, one a line. Each will be asked to acknowledge the record.",
    )
    others = _text(
        "Others who took part (optional)",
        help_text="One a line: name, then agency. For example: PC Ada Moss, County Police",
    )

    def __init__(self, *args: Any, children: list[Person], **kwargs: Any) -> None:
        self.people = {child.pk: child for child in children}
        kwargs.setdefault("initial", {}).setdefault("children", [str(pk) for pk in self.people])
        super().__init__(*args, **kwargs)
        self.fields["children"].choices = [  # type: ignore[attr-defined]
            (str(child.pk), f"{child.given_name} {child.family_name}") for child in children
        ]
        self.add_action_rows()
        self.order_fields(["kind", "held_on", "children", "participants", "others", "status"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        typed = cleaned.get("held_on", "").strip()
        cleaned["held_at"] = None
        if typed:
            day = parse_day(typed)
            if day is None:
                self.add_error("held_on", f"Enter the date as day month year ({DATE_HINT})")
            elif day == timezone.localdate():
                cleaned["held_at"] = timezone.now()
            else:
                cleaned["held_at"] = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        self._takings: list[Taking] = []
        for username in _lines(cleaned.get("participants", "")):
            user = User.objects.filter(username=username).first()
            if user is None:
                self.add_error("participants", f"No one has the username “{username}”")
            else:
                self._takings.append(Taking(user_id=user.pk))
        for line in _lines(cleaned.get("others", "")):
            name, _, agency_name = (part.strip() for part in line.rpartition(","))
            agency = Agency.objects.filter(name__iexact=agency_name).first() or (
                Agency.objects.filter(code__iexact=agency_name).first()
            )
            if not name or agency is None:
                self.add_error(
                    "others", f"“{line}”: give a name, then an agency of the partnership"
                )
            else:
                self._takings.append(Taking(agency=agency, name=name))
        self.clean_action_rows(cleaned)
        return cleaned

    def chosen_children(self) -> list[Person]:
        return [self.people[int(pk)] for pk in self.cleaned_data["children"]]

    def takings(self) -> list[Taking]:
        return self._takings

    def field_for(self, problem: str) -> str | None:
        """The field a service's message belongs to (an action's message to its description)."""
        return problem if problem in self.fields else None


class AmendForm(ActionRowsMixin, OutcomesMixin):
    """A correction of what the conversation came to: a new version, circulated again."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, current: ConversationVersion, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).update(
            {
                "version": current.number,
                "status": current.status,
                "summary": current.summary,
                "outcomes": "\n".join(current.outcomes),
            }
        )
        super().__init__(*args, **kwargs)
        self.add_action_rows()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_action_rows(cleaned)
        return cleaned


class AnswerForm(forms.Form):
    """A participant's answer to the current version: accurate, or disputed with a comment."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    answer = forms.ChoiceField(
        label="Is this an accurate record of the conversation?",
        choices=[("acknowledged", "Yes, it is accurate"), ("disputed", "No, I dispute it")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the record is accurate"},
    )
    comment = _text(
        "Comment", help_text="Required if you dispute the record: say what is inaccurate."
    )


class CloseActionForm(forms.Form):
    """An action closed: done with evidence, or cancelled with the reason."""

    outcome = forms.ChoiceField(
        label="What happened to this action?",
        choices=[("done", "Done"), ("cancelled", "Cancelled")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the action was done or cancelled"},
    )
    text = _text("Evidence of what was done, or why it was cancelled")
