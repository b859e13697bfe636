"""Signing in and out, each written to the audit trail.

Django's own views do the work; these add the GOV.UK form and the audit entry,
written in the same transaction as the session change it records.
"""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator

from thinkfamily.accounts.forms import SignInForm
from thinkfamily.audit.models import AuditEvent
from thinkfamily.audit.services import audit_record


@method_decorator(login_not_required, name="dispatch")
class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            audit_record(actor=form.get_user(), action=AuditEvent.Action.SIGN_IN)
        return response


# Not behind sign-in: a session that has already expired still signs out quietly.
@method_decorator(login_not_required, name="dispatch")
class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        with transaction.atomic():
            if request.user.is_authenticated:
                audit_record(actor=request.user, action=AuditEvent.Action.SIGN_OUT)
            return super().post(request, *args, **kwargs)
