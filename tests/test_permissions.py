"""Acceptance 1: who may open each page. Every URL of the application (outside the data administration
pages and static files) has a row below, with the status each role gets for their own objects and for
another force's (or another auditor's). A URL without a row fails `test_every_url_has_a_row`.

To add a URL: add a row to MATRIX. `none(...)` is a page without an object in its address; `audit(...)`,
`review(...)`, `force_row(...)`, `force_audit(...)` and `published(...)` take (own, foreign) statuses per role, the
objects being built by `objects()` below. Statuses are for GET; 302 for anonymous users means the sign-in page.
"""

from dataclasses import dataclass, field
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.roles import Role
from reviews.imports.services import import_job_create
from reviews.models import (
    Action,
    ActionKind,
    ActionOutcome,
    ActionStatus,
    AuditStatus,
    ImportKind,
    ReviewStatus,
    Verdict,
)
from reviews.results.publishing import audit_publish
from tests.factories import AuditFactory, DisagreementFactory, ReviewFactory, UserFactory, sign_off

pytestmark = pytest.mark.django_db

DUE = date(2026, 5, 1)

ROLES = ("anonymous", "auditor", "supervisor", "data_steward", "force_contact")
# URL namespaces that are not the application's own pages.
EXCLUDED_NAMESPACES = {"admin"}


@dataclass
class Row:
    kind: str | None  # which object the URL names: None, "audit", "review", "force", "import_job"...
    expected: dict[str, tuple[int, int]] = field(default_factory=dict)  # role: (own, foreign)
    kwargs: dict | None = None  # for a page without an object whose address still has parts


def none(**statuses: int) -> Row:
    return Row(None, {role: (status, status) for role, status in statuses.items()})


def fixed(kwargs: dict, **statuses: int) -> Row:
    """A page without an object in its address, at the address `kwargs` completes."""
    return Row(None, {role: (status, status) for role, status in statuses.items()}, kwargs)


def audit(**statuses: tuple[int, int] | int) -> Row:
    return Row("audit", {role: _pair(status) for role, status in statuses.items()})


def review(**statuses: tuple[int, int] | int) -> Row:
    return Row("review", {role: _pair(status) for role, status in statuses.items()})


def force_row(**statuses: tuple[int, int] | int) -> Row:
    return Row("force", {role: _pair(status) for role, status in statuses.items()})


def force_audit(**statuses: tuple[int, int] | int) -> Row:
    return Row("force_audit", {role: _pair(status) for role, status in statuses.items()})


def published(**statuses: tuple[int, int] | int) -> Row:
    return Row("published", {role: _pair(status) for role, status in statuses.items()})


def disagreement(**statuses: tuple[int, int] | int) -> Row:
    return Row("disagreement", {role: _pair(status) for role, status in statuses.items()})


def action(**statuses: tuple[int, int] | int) -> Row:
    """An open action: own of the force contact's force, foreign of another force's."""
    return Row("action", {role: _pair(status) for role, status in statuses.items()})


def waiting_action(**statuses: tuple[int, int] | int) -> Row:
    """An action whose outcome the force recorded, waiting for a supervisor (own: recorded by the force contact)."""
    return Row("waiting_action", {role: _pair(status) for role, status in statuses.items()})


def import_job(**statuses: tuple[int, int] | int) -> Row:
    """An import job: every data steward sees every job, so own and foreign are the same one."""
    return Row("import_job", {role: _pair(status) for role, status in statuses.items()})


def _pair(status: tuple[int, int] | int) -> tuple[int, int]:
    return status if isinstance(status, tuple) else (status, status)


SUPERVISORS_ONLY = {"anonymous": 302, "auditor": 403, "supervisor": 200, "data_steward": 403, "force_contact": 403}
DATA_STEWARDS_ONLY = {"anonymous": 302, "auditor": 403, "supervisor": 403, "data_steward": 200, "force_contact": 403}

MATRIX: dict[str, Row] = {
    "login": none(anonymous=200, auditor=302, supervisor=302, data_steward=302, force_contact=302),
    # Where a set-password link leads: open to anyone holding a link; an unknown or used link says so (200).
    "password_reset_confirm": fixed(
        {"uidb64": "MQ", "token": "used-link"},
        anonymous=200,
        auditor=200,
        supervisor=200,
        data_steward=200,
        force_contact=200,
    ),
    "password_reset_complete": none(anonymous=200, auditor=200, supervisor=200, data_steward=200, force_contact=200),
    # Signing out is a POST (a link could sign people out from another site).
    "logout": none(anonymous=405, auditor=405, supervisor=405, data_steward=405, force_contact=405),
    "home": none(anonymous=302, auditor=200, supervisor=200, data_steward=200, force_contact=200),
    "audit_plan": none(**SUPERVISORS_ONLY),
    # A force contact sees their own force's signed-off audits only; everyone else with a role sees all.
    "audit_detail": audit(anonymous=302, auditor=200, supervisor=200, data_steward=200, force_contact=(200, 404)),
    "audit_extend": audit(**SUPERVISORS_ONLY),
    "audit_assign": audit(**SUPERVISORS_ONLY),
    "audit_approve": audit(**SUPERVISORS_ONLY),
    "audit_sign_off": audit(**SUPERVISORS_ONLY),
    "audit_reopen": audit(**SUPERVISORS_ONLY),
    "review_queue": none(anonymous=302, auditor=200, supervisor=403, data_steward=403, force_contact=403),
    # An auditor opens only the reviews assigned to them.
    "review_detail": review(anonymous=302, auditor=(200, 404), supervisor=200, data_steward=403, force_contact=403),
    "review_return": review(**SUPERVISORS_ONLY),
    # Approving is a button (POST): a GET is refused as the wrong method, once access is granted.
    "review_approve": review(**{**SUPERVISORS_ONLY, "supervisor": 405}),
    # Results: everyone with an audit role reads every force; a force contact only their own.
    "force_results": force_row(anonymous=302, auditor=200, supervisor=200, data_steward=200, force_contact=(200, 404)),
    # The foreign audit is still in progress: it has no published results to show anyone.
    "force_audit_results": force_audit(
        anonymous=302, auditor=(200, 404), supervisor=(200, 404), data_steward=(200, 404), force_contact=(200, 404)
    ),
    "force_audit_report": force_audit(
        anonymous=302, auditor=(200, 404), supervisor=(200, 404), data_steward=(200, 404), force_contact=(200, 404)
    ),
    # Publishing is the supervisors'; a published version is read by whoever reads its force's results. The
    # foreign audit is in progress and has no published version.
    "audit_publish": audit(**SUPERVISORS_ONLY),
    "published_results": published(
        anonymous=302, auditor=(200, 404), supervisor=(200, 404), data_steward=(200, 404), force_contact=(200, 404)
    ),
    "published_results_csv": published(
        anonymous=302, auditor=(200, 404), supervisor=(200, 404), data_steward=(200, 404), force_contact=(200, 404)
    ),
    # A force contact is sent on to their own force's results.
    "national_comparison": none(anonymous=302, auditor=200, supervisor=200, data_steward=200, force_contact=302),
    # The open data package holds every force's published figures: audit staff read it, a force contact does not
    # (anyone at all does when DJANGO_RESULTS_PUBLIC says the results are public: test_open_data.py).
    "open_data": none(anonymous=302, auditor=200, supervisor=200, data_steward=200, force_contact=403),
    "open_data_release": fixed(
        {"number": 1}, anonymous=302, auditor=200, supervisor=200, data_steward=200, force_contact=403
    ),
    "open_data_file": fixed(
        {"number": 1, "name": "categories.csv"},
        anonymous=302,
        auditor=200,
        supervisor=200,
        data_steward=200,
        force_contact=403,
    ),
    "access_records": none(anonymous=302, auditor=403, supervisor=200, data_steward=200, force_contact=403),
    # Exports hold only what the user may see (tests/reviews/exchange/test_exports.py covers each table and filter);
    # the decisions table is for audit staff, not force contacts.
    "export": fixed(
        {"table": "decisions", "file_format": "csv"},
        anonymous=302,
        auditor=200,
        supervisor=200,
        data_steward=200,
        force_contact=403,
    ),
    "import_template": fixed(
        {"table": "decisions", "file_format": "csv"},
        anonymous=302,
        auditor=200,
        supervisor=200,
        data_steward=200,
        force_contact=200,
    ),
    # Quality assurance is the supervisors': a disagreement shows both auditors' verdicts side by side.
    "audit_second_reviews": audit(**SUPERVISORS_ONLY),
    "audit_known_answers": audit(**SUPERVISORS_ONLY),
    "disagreement_list": none(**SUPERVISORS_ONLY),
    "disagreement_resolve": disagreement(**SUPERVISORS_ONLY),
    # Actions: audit staff see every audit's, a force contact their own force's. Only the force's contact records
    # an outcome, while the action waits for the force; only a supervisor accepts (POST) or returns one.
    "action_list": none(anonymous=302, auditor=200, supervisor=200, data_steward=200, force_contact=200),
    "action_detail": action(anonymous=302, auditor=200, supervisor=200, data_steward=200, force_contact=(200, 404)),
    "action_outcome": action(anonymous=302, auditor=403, supervisor=403, data_steward=403, force_contact=(200, 404)),
    "action_accept": waiting_action(
        anonymous=302, auditor=403, supervisor=405, data_steward=403, force_contact=(403, 404)
    ),
    "action_return": waiting_action(
        anonymous=302, auditor=403, supervisor=200, data_steward=403, force_contact=(403, 404)
    ),
    # Imports in the browser are the data stewards': upload, follow a job, download its errors; Import now and
    # Cancel are buttons (POST).
    "imports:upload": none(**DATA_STEWARDS_ONLY),
    "imports:detail": import_job(**DATA_STEWARDS_ONLY),
    "imports:status": import_job(**DATA_STEWARDS_ONLY),
    "imports:errors": import_job(**DATA_STEWARDS_ONLY),
    "imports:confirm": import_job(**{**DATA_STEWARDS_ONLY, "data_steward": 405}),
    "imports:cancel": import_job(**{**DATA_STEWARDS_ONLY, "data_steward": 405}),
}


def application_url_names(patterns=None, prefix: str = "") -> list[str]:
    """Every URL name of the application, walking the resolver; unnamed patterns are listed by route."""
    names = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in EXCLUDED_NAMESPACES:
                continue
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names += application_url_names(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern):
            if str(pattern.pattern).startswith(("static/", "media/")):
                continue
            names.append(f"{prefix}{pattern.name}" if pattern.name else f"(unnamed: {pattern.pattern})")
    return names


def test_every_url_has_a_row():
    names = set(application_url_names())

    missing = sorted(names - set(MATRIX))
    stale = sorted(set(MATRIX) - names)
    assert not missing, f"URLs without a row in MATRIX: {missing}"
    assert not stale, f"Rows in MATRIX for URLs that no longer exist: {stale}"


def test_every_row_covers_every_role():
    for name, row in MATRIX.items():
        assert set(row.expected) == set(ROLES), name


@pytest.fixture
def people(auditor, supervisor, data_steward, force_contact):
    return {
        "anonymous": None,
        "auditor": auditor,
        "supervisor": supervisor,
        "data_steward": data_steward,
        "force_contact": force_contact,
    }


def _import_job(data_steward):
    upload = SimpleUploadedFile("decisions.csv", b"force,crime_reference\r\nkent,K1\r\n")
    return import_job_create(upload=upload, kind=ImportKind.DECISIONS, check_only=True, by=data_steward)


@pytest.fixture
def objects(people, northamptonshire, kent):
    """Own: a signed-off and published Northamptonshire audit (the force contact's force) with a review assigned to
    `auditor`. Foreign: an in-progress Kent audit with a review assigned to another auditor."""
    own_audit = AuditFactory(name="Own", force=northamptonshire)
    own_review = ReviewFactory(
        audit=own_audit,
        auditor=people["auditor"],
        status=ReviewStatus.APPROVED,
        decision_correct=Verdict.YES,
        victim_should_be_informed=True,
        victim_informed="yes",
    )
    own_disagreement = DisagreementFactory(audit=own_audit)
    sign_off(own_audit, by=people["supervisor"])
    audit_publish(audit=own_audit, by=people["supervisor"])
    foreign_audit = AuditFactory(name="Foreign", force=kent, status=AuditStatus.IN_PROGRESS)
    foreign_review = ReviewFactory(
        audit=foreign_audit,
        auditor=UserFactory(username="other-auditor", role=Role.AUDITOR),
        decision__decided_on=date(2026, 2, 1),
    )
    foreign_disagreement = DisagreementFactory(audit=foreign_audit)
    actions = {
        which: (
            Action.objects.create(audit=audit, decision=review.decision, kind=ActionKind.RECONSIDER, due_on=DUE),
            Action.objects.create(
                audit=audit,
                decision=review.decision,
                kind=ActionKind.TELL_VICTIM,
                due_on=DUE,
                status=ActionStatus.OUTCOME_RECORDED,
                outcome=ActionOutcome.VICTIM_TOLD,
                victim_told_on=DUE,
                outcome_by=recorder,
                outcome_at=timezone.now(),
            ),
        )
        for which, audit, review, recorder in [
            ("own", own_audit, own_review, people["force_contact"]),
            ("foreign", foreign_audit, foreign_review, UserFactory(username="kent-contact", role=Role.FORCE_CONTACT)),
        ]
    }
    job = _import_job(people["data_steward"])
    return {
        "import_job": ({"pk": job.pk}, {"pk": job.pk}),
        "action": ({"pk": actions["own"][0].pk}, {"pk": actions["foreign"][0].pk}),
        "waiting_action": ({"pk": actions["own"][1].pk}, {"pk": actions["foreign"][1].pk}),
        "disagreement": ({"pk": own_disagreement.pk}, {"pk": foreign_disagreement.pk}),
        "audit": ({"pk": own_audit.pk}, {"pk": foreign_audit.pk}),
        "review": ({"pk": own_review.pk}, {"pk": foreign_review.pk}),
        "force": ({"code": northamptonshire.code}, {"code": kent.code}),
        "force_audit": (
            {"code": northamptonshire.code, "audit_id": own_audit.pk},
            {"code": kent.code, "audit_id": foreign_audit.pk},
        ),
        "published": (
            {"code": northamptonshire.code, "audit_id": own_audit.pk, "version": 1},
            {"code": kent.code, "audit_id": foreign_audit.pk, "version": 1},
        ),
    }


@pytest.mark.parametrize("url_name", list(MATRIX))
def test_each_role_gets_the_expected_status(client, people, objects, url_name):
    row = MATRIX[url_name]
    urls = (
        (reverse(url_name, kwargs=row.kwargs), reverse(url_name, kwargs=row.kwargs))
        if row.kind is None
        else tuple(reverse(url_name, kwargs=kwargs) for kwargs in objects[row.kind])
    )
    mismatches = []
    for role in ROLES:
        client.logout()
        if people[role] is not None:
            client.force_login(people[role])
        for which, url, expected in zip(("own", "foreign"), urls, row.expected[role], strict=True):
            status = client.get(url).status_code
            if status != expected:
                mismatches.append(f"{role} {which} {url}: {status}, expected {expected}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("url_name", [name for name, row in MATRIX.items() if row.kind is not None])
def test_an_unknown_id_is_not_found_for_those_allowed_in(client, people, url_name):
    row = MATRIX[url_name]
    allowed = [role for role, (own, _) in row.expected.items() if own in (200, 405)]
    kwargs = {
        "force": {"code": "atlantis"},
        "force_audit": {"code": "northamptonshire", "audit_id": 999_999},
        "published": {"code": "northamptonshire", "audit_id": 999_999, "version": 1},
    }.get(row.kind, {"pk": 999_999})
    for role in allowed:
        client.force_login(people[role])
        # A page that takes only POST answers a GET with 405 before looking the object up: POST to it.
        send = client.post if row.expected[role][0] == 405 else client.get
        assert send(reverse(url_name, kwargs=kwargs)).status_code == 404, role


@pytest.mark.parametrize("url_name", list(MATRIX))
def test_posting_is_refused_to_those_refused_a_get(client, people, objects, url_name):
    row = MATRIX[url_name]
    for role, (own, foreign) in row.expected.items():
        if own not in (403, 404) and foreign not in (403, 404):
            continue
        client.force_login(people[role])
        for kwargs, expected in zip(objects[row.kind] if row.kind else ({}, {}), (own, foreign), strict=True):
            if expected not in (403, 404):
                continue
            url = reverse(url_name, kwargs=kwargs or row.kwargs)
            status = client.post(url, {"text": "x", "extra_per_category": "1"}).status_code
            # A page with nothing to post may answer 405 before it looks the object up: refused all the same.
            assert status in (expected, 405), (role, url, status)


def test_the_walk_finds_new_urls_nested_and_unnamed_ones_but_not_the_admin():
    from django.contrib import admin
    from django.urls import include, path

    def view(request):
        raise AssertionError("never called")

    patterns = [
        path("exports/", include(([path("audits.csv", view, name="audits")], "exports"))),
        path("national/", view, name="national"),
        path("untitled/", view),
        path("admin/", admin.site.urls),
    ]

    assert application_url_names(patterns) == ["exports:audits", "national", "(unnamed: untitled/)"]
