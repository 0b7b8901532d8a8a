from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "calldesk.accounts"
    label = "accounts"
