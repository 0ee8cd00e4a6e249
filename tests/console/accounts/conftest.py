"""The accounts tests' fixtures: an admin and a coordinator of Un premier pas, ready to sign in."""

from __future__ import annotations

import pytest

from tests.support.console import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, make_account


@pytest.fixture
def admin(app):
    return make_account(app)


@pytest.fixture
def coordinator(app):
    return make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                        name="Camille Coordination")
