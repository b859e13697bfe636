"""``thinkfamily api-token create|revoke|list``: system administrators issue agency systems' tokens.

Run on the server. ``create`` prints the token once (only its hash is kept);
``list`` and ``revoke`` name tokens by their prefix and never show a secret.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thinkfamily.accounts.models import Agency, User
from thinkfamily.api.models import ApiToken
from thinkfamily.api.services import SYSTEM_ROLES, api_token_create, api_token_revoke
from thinkfamily.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Issue, revoke or list the API tokens of agency systems."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Issue a token (printed once).")
        create.add_argument("--agency", required=True, help="The agency's code.")
        create.add_argument("--name", required=True, help="The agency system's name.")
        create.add_argument(
            "--scope",
            action="append",
            required=True,
            choices=ApiToken.Scope.values,
            help="A scope; repeat for more.",
        )
        create.add_argument(
            "--role",
            default=User.Role.PRACTITIONER,
            choices=[str(role) for role in SYSTEM_ROLES],
            help="The role the system acts in within its agency (default: practitioner).",
        )
        create.add_argument("--by", default="", help="Username of the issuing administrator.")
        revoke = actions.add_parser("revoke", help="Revoke a token at once.")
        revoke.add_argument("prefix", help="The token's prefix, as `list` shows it.")
        revoke.add_argument("--by", default="", help="Username of the revoking administrator.")
        actions.add_parser("list", help="List tokens (never their secrets).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except ApplicationError as error:
            raise CommandError(error.message) from None

    def _create(self, options: dict[str, Any]) -> None:
        agency = Agency.objects.filter(code=options["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency has the code {options['agency']!r}.")
        issued = api_token_create(
            agency=agency,
            name=options["name"],
            scopes=options["scope"],
            role=options["role"],
            by=self._by(options),
        )
        self.stdout.write(issued.token)
        self.stdout.write(
            f"Token tf_{issued.api_token.prefix} for {agency.code}: {issued.api_token.name} "
            f"(scopes: {', '.join(issued.api_token.scopes)}; acting as "
            f"{issued.api_token.service_user.role}; service user "
            f"{issued.api_token.service_user.username}).\n"
            "This is the only time the token is shown: only its hash is kept. "
            "Give it to the agency system now; if it is lost, revoke it and issue another."
        )

    def _by(self, options: dict[str, Any]) -> User | None:
        """The administrator named by ``--by``, if any; the audit trail names them."""
        if not options["by"]:
            return None
        by = User.objects.filter(username=options["by"]).first()
        if by is None:
            raise CommandError(f"No user is called {options['by']!r}.")
        return by

    def _revoke(self, options: dict[str, Any]) -> None:
        api_token = api_token_revoke(prefix=options["prefix"], by=self._by(options))
        self.stdout.write(
            f"Revoked tf_{api_token.prefix} ({api_token.agency.code}: {api_token.name})."
        )

    def _list(self, options: dict[str, Any]) -> None:
        tokens = ApiToken.objects.select_related("agency", "service_user")
        if not tokens:
            self.stdout.write("No API tokens.")
        for api_token in tokens:
            state = (
                f"revoked {api_token.revoked_at:%Y-%m-%d %H:%M}" if api_token.revoked_at else "live"
            )
            used = f"{api_token.last_used_at:%Y-%m-%d %H:%M}" if api_token.last_used_at else "never"
            self.stdout.write(
                f"tf_{api_token.prefix}  {api_token.agency.code}  {api_token.name}  "
                f"scopes={','.join(api_token.scopes)}  role={api_token.service_user.role}  "
                f"created {api_token.created_at:%Y-%m-%d}  "
                f"last used {used}  {state}"
            )
