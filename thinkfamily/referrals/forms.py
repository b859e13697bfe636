"""The referral forms: making a referral, and each of children's social care's steps.

The forms parse what was typed; the services decide what is missing and say
so by field (``ApplicationError.extra``), and the views put each message
against its field. So a form's fields are named as the services name them,
and most are optional here: a referral left incomplete comes back with every
problem listed at once, in the services' words.

Questions revealed by an answer (the family told: when, by whom, how; not
told: why) are ordinary fields. Without JavaScript they all show; an answer
not chosen makes the questions under it irrelevant, and they are ignored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.utils import timezone

from thinkfamily.core.templatetags.govuk import govuk_date
from thinkfamily.events.models import Event
from thinkfamily.people.models import Person
from thinkfamily.referrals.models import Referral, ReferralChild
from thinkfamily.referrals.services import ChildOnReferral, FamilyInformed

YES_NO = [("yes", "Yes"), ("no", "No")]
_DATE_FORMATS = ("%d %m %Y", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y")
DATE_HINT = "For example, 20 11 2026"


def parse_day(text: str) -> dt.date | None:
    """A day typed as GOV.UK forms accept it ("20 11 2026", "20/11/2026", "2026-11-20",
    "20 November 2026"); None when it is not a date."""
    text = " ".join(text.split())
    for date_format in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    return None


def _text(label: str, *, help_text: str = "", textarea: bool = True) -> forms.CharField:
    """An optional free-text question: the service says when it was needed."""
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        widget=forms.Textarea if textarea else forms.TextInput,
    )


def _choice(label: str, choices: Any, *, help_text: str = "", required: str = "") -> forms.Field:
    """Radios; ``required`` is the message when nothing is chosen (else the service decides)."""
    return forms.ChoiceField(
        label=label,
        help_text=help_text,
        choices=choices,
        widget=forms.RadioSelect,
        required=bool(required),
        error_messages={"required": required, "invalid_choice": "Select one of the options"},
    )


def _child_label(child: Person, today: dt.date) -> str:
    """A child as a referrer would recognise them: name, then (as a hint) age and birthday."""
    if child.unborn:
        about = f"Unborn, expected {govuk_date(child.date_of_birth)}"
    else:
        age = child.age_on(today)
        about = f"{age} year{'s' if age != 1 else ''} old, born {govuk_date(child.date_of_birth)}"
    return f"{child.given_name} {child.family_name} — {about}"


class MakeReferralForm(forms.Form):
    """A referral to children's social care about the children of one household.

    Every child living in the household now is listed and kept by default,
    so that brothers and sisters are considered rather than forgotten; a
    child left off needs a reason (``removal_reason_<person id>``).
    """

    children = forms.MultipleChoiceField(
        label="Which children is this referral about?",
        help_text="Every child living in the household is listed, so that brothers and sisters "
        "are considered. Untick a child to leave them off the referral, and say why below.",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    concerns = _text(
        "What are you worried about?",
        help_text="What you have seen or been told, by whom and when, and what it means for "
        "each child.",
    )
    categories = forms.MultipleChoiceField(
        label="What kind of concern is it?",
        help_text="Select all that apply.",
        choices=Event.Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    done_so_far = _text(
        "What have you done so far?",
        help_text="For example, who you have spoken to and any support already offered.",
    )
    family_informed = _choice(
        "Has the family been told about this referral?",
        YES_NO,
        help_text="Tell parents about a referral unless telling them would place the child at "
        "risk of significant harm.",
    )
    informed_on = forms.CharField(label="When were they told?", help_text=DATE_HINT, required=False)
    informed_by_name = forms.CharField(
        label="Who told them?", help_text="Name and role.", required=False
    )
    informed_how = _choice("How were they told?", Referral.InformedHow.choices)
    family_response = _text("How did the family respond?")
    not_informed_reason = _choice(
        "Why has the family not been told?",
        [
            (
                Referral.NotInformedReason.RISK_OF_HARM,
                "Telling them would place the child at risk of significant harm",
            ),
            (Referral.NotInformedReason.COULD_NOT_CONTACT, "They could not be contacted"),
            (Referral.NotInformedReason.OTHER, "Another reason"),
        ],
        help_text="A manager or designated safeguarding lead in your agency must confirm this "
        "before the referral is sent.",
    )
    contact_attempts = _text(
        "What attempts did you make to contact them?", help_text="When you tried, and how."
    )
    not_informed_detail = _text("What is the reason?")

    def __init__(self, *args: Any, children: list[Person], **kwargs: Any) -> None:
        self.people = {child.pk: child for child in children}
        kwargs.setdefault("initial", {}).setdefault("children", [str(pk) for pk in self.people])
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["children"].choices = [  # type: ignore[attr-defined]
            (str(child.pk), _child_label(child, today)) for child in children
        ]
        for child in children:
            self.fields[f"removal_reason_{child.pk}"] = _text(
                f"If {child.given_name} {child.family_name} is not on the referral, why not?",
                help_text="Only if you untick them.",
            )
        # Each reason follows the list of children, as on the page (and so in the error summary).
        self.order_fields(["children", *(f"removal_reason_{pk}" for pk in self.people)])

    def removal_reasons(self) -> list[forms.BoundField]:
        """The removal-reason questions, one a child, in the children's order."""
        return [self[f"removal_reason_{pk}"] for pk in self.people]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["informed_on_date"] = None
        typed = cleaned.get("informed_on", "").strip()
        if cleaned.get("family_informed") == Referral.FamilyInformed.YES and typed:
            day = parse_day(typed)
            if day is None:
                self.add_error(
                    "informed_on",
                    f"Enter the date the family was told as day month year ({DATE_HINT.lower()})",
                )
            cleaned["informed_on_date"] = day
        return cleaned

    def children_on_referral(self) -> list[ChildOnReferral]:
        kept = set(self.cleaned_data["children"])
        return [
            ChildOnReferral(
                person,
                included=str(pk) in kept,
                removal_reason=self.cleaned_data.get(f"removal_reason_{pk}", ""),
            )
            for pk, person in self.people.items()
        ]

    def family_informed_answer(self) -> FamilyInformed:
        data = self.cleaned_data
        return FamilyInformed(
            answer=data["family_informed"],
            informed_on=data["informed_on_date"],
            informed_by_name=data["informed_by_name"],
            informed_how=data["informed_how"],
            family_response=data["family_response"],
            not_informed_reason=data["not_informed_reason"],
            not_informed_detail=data["not_informed_detail"],
            contact_attempts=data["contact_attempts"],
        )


# ---------------------------------------------------------------------------
# Children's social care's steps, one form each


class StepForm(forms.Form):
    """One step on a referral, from the page showing ``version``; its ``arguments`` are what the
    step's service takes besides the referral, the user and the version."""

    step: ClassVar[str]
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("version", referral.version)
        super().__init__(*args, **kwargs)
        self.referral = referral

    def arguments(self) -> dict[str, Any]:
        return {}


class ManagerConfirmForm(StepForm):
    """A manager of the referring agency confirms why the family was not told."""

    step = "manager_confirm"
    note = _text(
        "Why do you agree the family should not be told?",
        help_text="Your confirmation sends the referral to children's social care.",
    )

    def arguments(self) -> dict[str, Any]:
        return {"note": self.cleaned_data["note"]}


class AcknowledgeForm(StepForm):
    """Children's social care acknowledges the referral to the referrer."""

    step = "acknowledge"
    note = _text(
        "Note (optional)",
        help_text="For example, who at the referring agency you acknowledged it to.",
    )

    def arguments(self) -> dict[str, Any]:
        return {"note": self.cleaned_data["note"]}


class ConfirmAwarenessForm(StepForm):
    """Whether the family knows, as confirmed with the referrer; if not, the decision about
    telling them and why."""

    step = "confirm_awareness"
    family_aware = _choice(
        "Has the referrer confirmed that the family knows about the referral?",
        YES_NO,
        required="Select whether the family knows about the referral",
    )
    telling_decision = _choice(
        "What is the decision about telling the family?", Referral.TellingDecision.choices
    )
    telling_reason = _text("Reason for the decision")
    note = _text("Note (optional)")

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "family_aware": data["family_aware"] == "yes",
            "telling_decision": data["telling_decision"],
            "telling_reason": data["telling_reason"],
            "note": data["note"],
        }


#: Each decision with its hint (after " — ", see govuk_radios).
DECISIONS = [
    (ReferralChild.Decision.NO_FURTHER_ACTION, "No further action"),
    (ReferralChild.Decision.EARLY_HELP, "Early help — Support with the family's agreement."),
    (
        ReferralChild.Decision.ASSESSMENT,
        "Assessment — A child and family assessment, completed within 45 working days.",
    ),
    (
        ReferralChild.Decision.STRATEGY_DISCUSSION,
        "Strategy discussion / section 47 enquiry — Enter the date of the strategy discussion "
        "below.",
    ),
]


class DecideForm(StepForm):
    """The decision for each child kept on the referral (``decision_<person id>`` and
    ``reasons_<person id>``), and the strategy discussion's date when one is decided."""

    step = "decide"

    strategy_discussion_on = forms.CharField(
        label="Date of the strategy discussion",
        help_text=f"Only if a strategy discussion is decided for any child. {DATE_HINT}.",
        required=False,
    )

    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        super().__init__(*args, referral=referral, **kwargs)
        self.kept = list(referral.children.filter(included=True).select_related("person"))
        strategy = self.fields.pop("strategy_discussion_on")
        for child in self.kept:
            name = f"{child.person.given_name} {child.person.family_name}"
            self.fields[f"decision_{child.person_id}"] = _choice(f"Decision for {name}", DECISIONS)
            self.fields[f"reasons_{child.person_id}"] = _text(
                f"Reasons for the decision for {name}"
            )
        self.fields["strategy_discussion_on"] = strategy

    def per_child(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        """Each kept child's decision and reasons, in the referral's order."""
        return [
            (self[f"decision_{c.person_id}"], self[f"reasons_{c.person_id}"]) for c in self.kept
        ]

    def clean_strategy_discussion_on(self) -> dt.date | None:
        typed = self.cleaned_data["strategy_discussion_on"].strip()
        if not typed:
            return None
        day = parse_day(typed)
        if day is None:
            raise forms.ValidationError(
                f"Enter the date of the strategy discussion as day month year ({DATE_HINT.lower()})"
            )
        return day

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "decisions": {
                c.person_id: (data[f"decision_{c.person_id}"], data[f"reasons_{c.person_id}"])
                for c in self.kept
            },
            "strategy_discussion_on": data["strategy_discussion_on"],
        }


class VisitIntentionForm(StepForm):
    """Whether the family was told of the intention to visit: when and how, or why not."""

    step = "record_visit_intention"
    communicated = _choice(
        "Has the family been told that children's social care intends to visit?",
        YES_NO,
        required="Select whether the family was told of the intention to visit",
    )
    communicated_on = forms.CharField(label="When were they told?", help_text=DATE_HINT,
                                      required=False)  # fmt: skip
    how = _choice("How were they told?", Referral.InformedHow.choices)
    reason_not = _text("Why not?")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["communicated_on_date"] = None
        typed = cleaned.get("communicated_on", "").strip()
        if cleaned.get("communicated") == "yes" and typed:
            day = parse_day(typed)
            if day is None:
                self.add_error(
                    "communicated_on",
                    f"Enter the date the family was told as day month year ({DATE_HINT.lower()})",
                )
            cleaned["communicated_on_date"] = day
        return cleaned

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "communicated": data["communicated"] == "yes",
            "communicated_on": data["communicated_on_date"],
            "how": data["how"],
            "reason_not": data["reason_not"],
        }


class CloseForm(StepForm):
    """The outcome fed back to the referrer, which closes the referral."""

    step = "close"
    outcome_feedback = _text(
        "What outcome was fed back to the referrer?",
        help_text="The referrer sees this on the referral once it is closed.",
    )

    def arguments(self) -> dict[str, Any]:
        return {"outcome_feedback": self.cleaned_data["outcome_feedback"]}


#: The form for each step, by the step's name (``selectors.NEXT_STEPS``).
STEP_FORMS: dict[str, type[StepForm]] = {
    form.step: form
    for form in (
        ManagerConfirmForm,
        AcknowledgeForm,
        ConfirmAwarenessForm,
        DecideForm,
        VisitIntentionForm,
        CloseForm,
    )
}
