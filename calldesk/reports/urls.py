from django.urls import path

from calldesk.reports import lists, views

urlpatterns = [
    path("", lists.report_list, name="reports-list"),
    path("unfinished/", views.unfinished_list, name="reports-unfinished"),
    path("unfinished/abandon", views.unfinished_abandon, name="reports-unfinished-abandon"),
    path("<uuid:public_id>/", views.report_detail, name="reports-detail"),
    path("<uuid:public_id>/edit/", views.report_edit, name="reports-edit"),
    path("<uuid:public_id>/save", views.report_save, name="reports-save"),
    path("<uuid:public_id>/submit", views.report_submit, name="reports-submit"),
    path("<uuid:public_id>/close", views.report_close, name="reports-close"),
    path("<uuid:public_id>/abandon", views.report_abandon, name="reports-abandon"),
    path("<uuid:public_id>/reopen", views.report_reopen, name="reports-reopen"),
]
