from django.urls import path

from calldesk.callers import views

urlpatterns = [
    path("", views.lookup, name="callers-lookup"),
    path("report/<uuid:report_id>/", views.from_report, name="callers-from-report"),
    path("<uuid:public_id>/", views.profile_detail, name="callers-detail"),
    path("<uuid:public_id>/edit", views.profile_edit, name="callers-edit"),
    path("<uuid:public_id>/alerts", views.alert_add, name="callers-alert-add"),
    path("<uuid:public_id>/alerts/<uuid:alert_id>/remove", views.alert_remove, name="callers-alert-remove"),
    path("<uuid:public_id>/block", views.block, name="callers-block"),
    path("<uuid:public_id>/numbers", views.number_add, name="callers-number-add"),
    path("<uuid:public_id>/numbers/<uuid:number_id>/remove", views.number_remove, name="callers-number-remove"),
    path("<uuid:public_id>/delete", views.profile_delete, name="callers-delete"),
]
