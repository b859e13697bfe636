"""``thinkfamily demo_setup``: create the demo logins and print them."""

from django.core.management.base import BaseCommand

from thinkfamily.core.demo import DEMO_PASSWORD, demo_users_create


class Command(BaseCommand):
    help = "Create (or reset) one demo login per kind of practitioner and print them."

    def handle(self, *args: object, **options: object) -> None:
        logins = demo_users_create()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Think Family demo: http://127.0.0.1:8000"))
        self.stdout.write(f"Every demo login has the password: {DEMO_PASSWORD}")
        for login in logins:
            self.stdout.write(f"  {login.username:<14} {login.role:<32} {login.agency}")
        self.stdout.write("")
