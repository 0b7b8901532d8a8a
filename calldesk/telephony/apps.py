from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "calldesk.telephony"
    label = "telephony"
