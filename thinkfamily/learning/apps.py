from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "thinkfamily.learning"
    verbose_name = "Learning from case reviews"
