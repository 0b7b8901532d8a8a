"""The admins' pages, all behind `admin_required`."""

from django.urls import path

from calldesk.configure.views import forms, mappings, organization, tester, users

urlpatterns = [
    path("", organization.home, name="configure-home"),
    path("forms/", forms.form_list, name="configure-forms"),
    path("forms/new/", forms.form_new, name="configure-form-new"),
    path("forms/<uuid:public_id>/", forms.form_edit, name="configure-form-edit"),
    path("forms/<uuid:public_id>/revisions/", forms.form_revisions, name="configure-form-revisions"),
    path("forms/<uuid:public_id>/preview/", forms.form_preview, name="configure-form-preview"),
    path("forms/<uuid:public_id>/retire", forms.form_retire, name="configure-form-retire"),
    path("forms/<uuid:public_id>/mappings/", mappings.mapping_list, name="configure-mappings"),
    path("forms/<uuid:public_id>/mappings/change", mappings.mapping_change, name="configure-mapping-change"),
    path("forms/<uuid:public_id>/url/", tester.form_url, name="configure-form-url"),
    path("users/", users.user_list, name="configure-users"),
    path("users/new/", users.user_new, name="configure-user-new"),
    path("users/<uuid:public_id>/", users.user_edit, name="configure-user-edit"),
    path("users/<uuid:public_id>/active", users.user_active, name="configure-user-active"),
    path("users/<uuid:public_id>/unlock", users.user_unlock, name="configure-user-unlock"),
    path(
        "users/<uuid:public_id>/two-factor-reset", users.user_two_factor_reset, name="configure-user-two-factor-reset"
    ),
    path("settings/", organization.organization_settings, name="configure-settings"),
    path("tokens/", organization.token_list, name="configure-tokens"),
    path("tokens/<uuid:public_id>/revoke", organization.token_revoke, name="configure-token-revoke"),
    path("audit/", organization.audit_list, name="configure-audit"),
]
