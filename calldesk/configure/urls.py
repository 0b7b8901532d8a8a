urlpatterns: list[URLPattern] = []  # the admins' pages (issue 4)
