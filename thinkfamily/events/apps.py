from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "thinkfamily.events"
    label = "events"
