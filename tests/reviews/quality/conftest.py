"""Fixtures the quality assurance tests share."""

import pytest

from accounts.roles import Role
from reviews.models import OffenceCategory
from reviews.quality.services import audit_set_second_review_share
from reviews.workflow.services import audit_assign_evenly
from tests.factories import UserFactory, sampled_audit
from tests.reviews.quality.pairs import decisions


@pytest.fixture
def second_auditor(db):
    return UserFactory(username="second", first_name="Sam", last_name="Second", role=Role.AUDITOR)


@pytest.fixture
def paired(supervisor, auditor, second_auditor):
    """A Northamptonshire audit of 4 violence decisions, every one reviewed twice, by the two auditors."""
    decisions(4)
    audit = sampled_audit(name="Paired", sizes={OffenceCategory.VIOLENCE: 4}, seed=5, by=supervisor)
    audit_set_second_review_share(audit=audit, share=100, by=supervisor)
    audit_assign_evenly(audit=audit, auditors=[auditor, second_auditor], by=supervisor)
    return audit
