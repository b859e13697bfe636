"""The sign-in forms, with error messages written the GOV.UK way."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    """Django's authentication form with labels and messages that say what to do next."""

    error_messages = {
        "invalid_login": "Enter a correct username and password",
        "inactive": "This account has been closed: ask your agency's administrator",
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].label = "Username"
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].label = "Password"
        self.fields["password"].error_messages["required"] = "Enter your password"


class TwoFactorCodeForm(forms.Form):
    """The 6-digit code from the user's authenticator app."""

    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6-digit code, for example 123456",
        max_length=12,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (len(code) == 6 and code.isdigit()):
            raise forms.ValidationError("Enter the code as 6 digits, for example 123456")
        return code
