urlpatterns: list[URLPattern] = []  # supervisors' dashboards (issue 5)
