from django.apps import AppConfig


class PromptsConfig(AppConfig):
    name = "thinkfamily.prompts"
    verbose_name = "Think Sibling prompts"
