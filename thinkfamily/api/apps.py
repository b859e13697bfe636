from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "thinkfamily.api"
    label = "api"
