from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "thinkfamily.matching"
    label = "matching"
