from django.apps import AppConfig


class ExtractsConfig(AppConfig):
    name = "thinkfamily.extracts"
    label = "extracts"
