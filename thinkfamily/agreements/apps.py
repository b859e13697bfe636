from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "thinkfamily.agreements"
    verbose_name = "Verbal agreements"
