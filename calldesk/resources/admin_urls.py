from django.urls import path

from calldesk.resources import admin_views as views

urlpatterns = [
    path("", views.home, name="resources-admin"),
    path("public", views.public_api, name="resources-admin-public"),
    path("imports/<str:job_id>", views.import_status, name="resources-admin-import-status"),
    path("<str:kind>/", views.record_list, name="resources-admin-list"),
    path("<str:kind>/<str:record_id>/", views.record_edit, name="resources-admin-edit"),
    path("<str:kind>/<str:record_id>/<str:part>/new", views.part_edit, name="resources-admin-part-new"),
    path("<str:kind>/<str:record_id>/<str:part>/<str:part_id>/", views.part_edit, name="resources-admin-part"),
    path(
        "<str:kind>/<str:record_id>/<str:part>/<str:part_id>/remove",
        views.part_remove,
        name="resources-admin-part-remove",
    ),
]
