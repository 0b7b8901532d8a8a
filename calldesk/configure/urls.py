from django.urls import URLPattern

urlpatterns: list[URLPattern] = []  # the admins' pages (issue 4)
