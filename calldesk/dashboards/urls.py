from django.urls import URLPattern

urlpatterns: list[URLPattern] = []  # supervisors' dashboards (issue 5)
