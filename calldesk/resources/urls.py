from django.urls import include, path

from calldesk.resources import views

urlpatterns = [
    path("search", views.search_json, name="resources-search"),
    path("terms", views.terms_json, name="resources-terms"),
    path("terms/tree", views.term_tree_json, name="resources-term-tree"),
    path("admin/", include("calldesk.resources.admin_urls")),
]
