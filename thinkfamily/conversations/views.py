"""The conversation pages: recording one, the record with its answers and actions, amending it,
the worklist, and the partnership's compliance figures.

Views parse, call a service or selector, and render. A conversation, child
or household the viewer may not see is a 404, like one that does not exist.
A refusal shows why in the error summary, never a 500: 400 for an answer
that is incomplete (each message against its question), 403 for something
the viewer may not do, 409 for a page overtaken by an amendment.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from thinkfamily.accounts.backends import AMEND_CONVERSATION, CLOSE_ACTION, RECORD_CONVERSATION
from thinkfamily.conversations.forms import (
    AmendForm,
    AnswerForm,
    CloseActionForm,
    RecordConversationForm,
)
from thinkfamily.conversations.models import Action, Conversation
from thinkfamily.conversations.selectors import (
    ConversationDetail,
    conversation_compliance,
    conversation_detail,
    conversation_start,
    conversation_worklist,
)
from thinkfamily.conversations.services import (
    action_cancel,
    action_complete,
    conversation_acknowledge,
    conversation_amend,
    conversation_dispute,
    conversation_record,
)
from thinkfamily.core.errors import ApplicationError
from thinkfamily.core.forms import errors_onto_form
from thinkfamily.people.models import Household, Person
from thinkfamily.people.views import SignedInRequest

_NOT_FOUND = "No conversation you may see has this id."

#: The form field that carries each of the services' messages, where the names differ.
_FIELD_OF = {"held_at": "held_on", "evidence": "text", "cancel_reason": "text"}


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


@require_http_methods(["GET", "HEAD", "POST"])
def conversation_new(request: SignedInRequest) -> HttpResponse:
    """Record a conversation about the children of a household (``?household=``) or a child's
    homes (``?person=``): every child listed and ticked."""
    household_id, person_id = (
        _number(request.GET.get("household")),
        _number(request.GET.get("person")),
    )
    if household_id is None and person_id is None:
        return HttpResponseBadRequest(
            "Record a conversation from a child's page or their family's page."
        )
    try:
        start = conversation_start(
            viewer=request.user, household_id=household_id, person_id=person_id
        )
    except (Household.DoesNotExist, Person.DoesNotExist):
        raise Http404("No child or family you may see has this id.") from None
    if not any(request.user.has_perm(RECORD_CONVERSATION, child) for child in start.children):
        raise PermissionDenied("You may not record a conversation about these children.")
    form = RecordConversationForm(
        request.POST if request.method == "POST" else None, children=start.children
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            conversation = conversation_record(
                by=request.user,
                kind=data["kind"],
                held_at=data["held_at"],
                children=form.chosen_children(),
                status=data["status"],
                outcomes=form.outcome_list(),
                summary=data["summary"],
                participants=form.takings(),
                actions=form.actions(),
                household=start.household,
            )
        except ApplicationError as error:
            errors_onto_form(form, error, field_of=_FIELD_OF)
        else:
            messages.success(
                request, "Conversation recorded and circulated to the participants to acknowledge."
            )
            return redirect(conversation)
    return render(
        request,
        "conversations/new.html",
        {"start": start, "form": form},
        status=400 if form.errors else 200,
    )


def _detail(request: SignedInRequest, pk: int) -> ConversationDetail:
    try:
        return conversation_detail(conversation_id=pk, viewer=request.user)
    except Conversation.DoesNotExist:
        raise Http404(_NOT_FOUND) from None


def _visible(request: SignedInRequest, pk: int) -> Conversation:
    conversation = (
        Conversation.objects.visible_to(request.user)
        .hiding_sealed_from(request.user)
        .filter(pk=pk)
        .first()
    )
    if conversation is None:
        raise Http404(_NOT_FOUND)
    return conversation


@require_http_methods(["GET", "HEAD", "POST"])
def conversation(request: SignedInRequest, pk: int) -> HttpResponse:
    """One record: what was concluded (every version), who has acknowledged or disputed it,
    the actions; and the viewer's answer, posted back here with the version the page showed."""
    answer_form: AnswerForm | None = None
    refusal = ""
    status = 200
    if request.method == "POST":
        visible = _visible(request, pk)
        answer_form = AnswerForm(request.POST)
        if answer_form.is_valid():
            data = answer_form.cleaned_data
            service = (
                conversation_dispute if data["answer"] == "disputed" else conversation_acknowledge
            )
            try:
                service(
                    conversation=visible,
                    by=request.user,
                    version=data["version"],
                    comment=data["comment"],
                )
            except ApplicationError as error:
                if error.extra:
                    errors_onto_form(answer_form, error, field_of=_FIELD_OF)
                    status = 400
                else:
                    refusal = error.message
                    answer_form = None
                    status = 409 if data["version"] != visible.current_version else 403
            else:
                messages.success(
                    request,
                    "Your dispute has been recorded. The recorder will see it."
                    if data["answer"] == "disputed"
                    else "Thank you: you have acknowledged the record as accurate.",
                )
                return redirect(visible)
        else:
            status = 400
    detail = _detail(request, pk)
    if answer_form is None and detail.may_answer:
        answer_form = AnswerForm(initial={"version": detail.current.number})
    return render(
        request,
        "conversations/conversation.html",
        {
            "detail": detail,
            "conversation": detail.conversation,
            "answer_form": answer_form if detail.may_answer or status == 400 else None,
            "refusal": refusal,
            "close_forms": [
                (row.action, CloseActionForm(auto_id=f"id_action{row.action.pk}_%s"))
                for row in detail.actions
                if row.viewer_may_close and row.action.state == Action.State.OPEN
            ],
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def conversation_amend_page(request: SignedInRequest, pk: int) -> HttpResponse:
    """Amend what the conversation came to: a new version, circulated to everyone again."""
    visible = _visible(request, pk)
    if not request.user.has_perm(AMEND_CONVERSATION, visible):
        raise PermissionDenied(
            "Only the person who recorded this conversation, or a manager of their agency, may "
            "amend it."
        )
    current = visible.versions.get(number=visible.current_version)
    form = AmendForm(request.POST if request.method == "POST" else None, current=current)
    refusal = ""
    status = 200
    if form.is_valid():
        try:
            conversation_amend(
                conversation=visible,
                by=request.user,
                version=form.cleaned_data["version"],
                status=form.cleaned_data["status"],
                summary=form.cleaned_data["summary"],
                outcomes=form.outcome_list(),
                new_actions=form.actions(),
            )
        except ApplicationError as error:
            if error.extra:
                errors_onto_form(form, error, field_of=_FIELD_OF)
            else:
                refusal = error.message
                status = 409
        else:
            messages.success(
                request, "Record amended. Everyone has been asked to acknowledge it again."
            )
            return redirect(visible)
    return render(
        request,
        "conversations/amend.html",
        {"conversation": visible, "current": current, "form": form, "refusal": refusal},
        status=status if refusal else (400 if form.errors else 200),
    )


@require_POST
def action_close(request: SignedInRequest, pk: int) -> HttpResponse:
    """Close an action of a conversation: done with evidence, or cancelled with a reason."""
    action = get_object_or_404(Action.objects.select_related("conversation"), pk=pk)
    conversation = _visible(request, action.conversation_id)
    if not request.user.has_perm(CLOSE_ACTION, action):
        raise PermissionDenied(
            "Only staff of the agency that owns this action, or the person who recorded the "
            "conversation, may close it."
        )
    form = CloseActionForm(request.POST)
    if form.is_valid():
        done = form.cleaned_data["outcome"] == "done"
        try:
            if done:
                action_complete(action=action, by=request.user, evidence=form.cleaned_data["text"])
            else:
                action_cancel(action=action, by=request.user, reason=form.cleaned_data["text"])
        except ApplicationError as error:
            errors_onto_form(form, error, field_of=_FIELD_OF)
        else:
            messages.success(request, "Action done." if done else "Action cancelled.")
            return redirect(conversation)
    return render(
        request,
        "conversations/action_close.html",
        {"conversation": conversation, "action": action, "form": form},
        status=400,
    )


@require_safe
def worklist(request: SignedInRequest) -> HttpResponse:
    """Records waiting for the viewer's acknowledgement, disputed records, overdue actions."""
    return render(
        request,
        "conversations/worklist.html",
        {"worklist": conversation_worklist(viewer=request.user)},
    )


@require_safe
def compliance(request: SignedInRequest) -> HttpResponse:
    """The partnership's figures, by recording agency and month (partnership managers)."""
    return render(
        request,
        "conversations/compliance.html",
        {"rows": conversation_compliance(viewer=request.user)},
    )
