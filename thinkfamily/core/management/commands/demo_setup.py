"""``thinkfamily demo_setup``: create the demo logins and print them."""

from django.core.management.base import BaseCommand

from thinkfamily.accounts.models import User
from thinkfamily.core.demo import (
    DEMO_PASSWORD,
    demo_linkage_prepare,
    demo_pupil_with_preschool_sibling,
    demo_users_create,
)


class Command(BaseCommand):
    help = "Create (or reset) one demo login per kind of practitioner and print them."

    def handle(self, *args: object, **options: object) -> None:
        logins = demo_users_create()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Think Family demo: http://127.0.0.1:8000"))
        self.stdout.write(f"Every demo login has the password: {DEMO_PASSWORD}")
        for login in logins:
            self.stdout.write(f"  {login.username:<14} {login.role:<32} {login.agency}")
        lead = User.objects.filter(username="dsl").select_related("agency").first()
        pupil = lead and demo_pupil_with_preschool_sibling(school=lead.agency)
        if pupil:
            self.stdout.write(
                f"Try: sign in as dsl, search for {pupil.given_name} {pupil.family_name}, "
                "and open the household to see the preschool sibling."
            )
        reviewer = User.objects.filter(username="csc.manager").first()
        if reviewer is not None:
            linkage = demo_linkage_prepare(reviewer=reviewer)
            self.stdout.write(
                f"Linkage: {linkage.pending_pairs} uncertain pairs wait for review. Sign in as "
                "csc.manager and open Review to compare two records side by side"
                + (", or Merges to undo a merge." if linkage.merge else ".")
            )
        self.stdout.write("")
