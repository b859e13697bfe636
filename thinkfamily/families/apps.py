from django.apps import AppConfig


class FamiliesConfig(AppConfig):
    name = "thinkfamily.families"
    verbose_name = "Whole-family view"
