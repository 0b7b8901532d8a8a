from django.urls import path

from calldesk.followups import views

urlpatterns = [
    path("", views.my_list, name="followups-mine"),
    path("all/", views.all_list, name="followups-all"),
    path("bulk", views.bulk, name="followups-bulk"),
    path("new/<uuid:report_id>/", views.schedule, name="followups-schedule"),
    path("<uuid:public_id>/", views.detail, name="followups-detail"),
    path("<uuid:public_id>/call", views.call, name="followups-call"),
    path("<uuid:public_id>/attempt", views.attempt, name="followups-attempt"),
]
