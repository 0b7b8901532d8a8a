from django.urls import path

from calldesk.resources import hsds_api as views

urlpatterns = [
    path("", views.root, name="hsds-root"),
    path("openapi.json", views.openapi, name="hsds-openapi"),
    path("services", views.services, name="hsds-services"),
    path("services/<str:record_id>", views.service, name="hsds-service"),
    path("organizations", views.organizations, name="hsds-organizations"),
    path("organizations/<str:record_id>", views.organization, name="hsds-organization"),
    path("taxonomies", views.taxonomies, name="hsds-taxonomies"),
    path("taxonomies/<str:record_id>", views.taxonomy, name="hsds-taxonomy"),
    path("taxonomy_terms", views.taxonomy_terms, name="hsds-taxonomy-terms"),
    path("taxonomy_terms/<str:record_id>", views.taxonomy_term, name="hsds-taxonomy-term"),
    path("service_at_locations", views.service_at_locations, name="hsds-service-at-locations"),
    path("service_at_locations/<str:record_id>", views.service_at_location, name="hsds-service-at-location"),
]
