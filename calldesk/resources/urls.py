from django.urls import path

from calldesk.resources import views

urlpatterns = [
    path("search", views.search_json, name="resources-search"),
    path("terms", views.terms_json, name="resources-terms"),
]
