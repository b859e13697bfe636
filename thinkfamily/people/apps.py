from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "thinkfamily.people"
    label = "people"
