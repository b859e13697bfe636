"""The sign-in form, with error messages written the GOV.UK way."""

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
