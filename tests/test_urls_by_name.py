"""App code names the URLs it produces (`reverse`, `redirect("name")`, `{% url %}`,
`get_absolute_url`), so that moving a page means changing its route only. Tests keep literal
paths: they speak the external contract. Literal paths stay only where a request's path is
matched (middleware, guards), listed below with their reason."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from uuid import uuid4

import pytest
from django.template import engines
from django.urls import reverse

import calldesk
from calldesk.lib.urls import uuid_url

ROOT = Path(calldesk.__file__).parent
PREFIXES = (
    "reports", "Telephony", "console", "dashboards", "configure", "audit", "accounts", "api", "followups",
    "risk", "callers", "resources", "hsds", "healthz", "readyz", "favicon.ico",
)  # fmt: skip
LITERAL = re.compile("^/(" + "|".join(re.escape(p) for p in PREFIXES) + r")(/|$|\?)")
TEMPLATE_LINK = re.compile(r"""\b(?:href|action|src|formaction|data-[a-z-]+)=["'](/(?!/|static/)[^"']*)["']""")

# Being rewritten by the lead's work on the editor's side panels at the same time.
IN_HAND: set[str] = set()
# Modules that match a request's path against prefixes (no single named URL), or define a route.
MATCHING = {
    "lib/middleware.py",  # the telephony URL's contract path, matched in any spelling; urls.py routes it
    "lib/inputguard.py",  # which requests are guarded: the API's and the report writes' prefixes
    "lib/unavailable.py",  # the API's prefix answers JSON while the database is away
    "accounts/passwords.py",  # where a user who must change their password may still go
    "accounts/secondfactor.py",  # where a user without their second factor may still go
    "accounts/twofactor_views.py",  # whether the page after login is a waiting call
    "push/stream.py",  # the event stream's path, routed by the ASGI application before Django
    "api/site.py",  # the API's routers, mounted by ninja under /api/
}


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def literal_paths_in_python(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            text = str(node.values[0].value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
        else:
            continue
        if LITERAL.match(text):
            found.append(f"{relative(path)}:{node.lineno}: {text}")
    return found


def test_app_python_names_the_urls_it_produces() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts or relative(path) in IN_HAND | MATCHING:
            continue
        found += literal_paths_in_python(path)
    assert found == []


def test_templates_name_the_urls_they_link_to() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.html")):
        if relative(path) in IN_HAND or "static" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found += [f"{relative(path)}:{number}: {url}" for url in TEMPLATE_LINK.findall(line)]
    assert found == []


def test_the_telephony_url_keeps_its_public_path() -> None:
    assert reverse("telephony-get-call-report") == "/Telephony/GetCallReport"


def test_a_record_page_address_is_what_reverse_gives() -> None:
    public_id = uuid4()
    assert uuid_url("reports-detail", public_id=public_id) == f"/reports/{public_id}/"
    assert uuid_url("reports-detail", public_id=str(public_id)) == reverse("reports-detail", args=[public_id])
    with pytest.raises(ValueError):
        uuid_url("reports-detail", public_id="not-a-uuid/../configure")


def test_a_url_without_arguments_is_reversed_once_and_escaped_as_django_does() -> None:
    template = engines["django"].from_string("{% url 'reports-list' %}|{% url 'reports-detail' public_id=id %}")
    public_id = uuid4()
    assert template.render({"id": public_id}) == f"/reports/|/reports/{public_id}/"


def test_a_record_url_in_a_template_is_what_django_reverses() -> None:
    public_id, other = uuid4(), uuid4()
    ours = engines["django"].from_string(
        "{% url 'callers-alert-remove' public_id=a alert_id=b %}|"
        "{% url 'risk-raise' public_id=a as kept %}[{{ kept }}]|{% url 'reports-detail' public_id=text %}"
    )
    expected = (
        f"{reverse('callers-alert-remove', kwargs={'public_id': public_id, 'alert_id': other})}|"
        f"[{reverse('risk-raise', kwargs={'public_id': public_id})}]|{reverse('reports-detail', args=[public_id])}"
    )
    assert ours.render({"a": public_id, "b": other, "text": str(public_id)}) == expected
