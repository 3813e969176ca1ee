"""알림·안내 (skeleton: the page comes with its own change)."""

from flask import Blueprint

from kiosk_provisioning.console.models import Role
from kiosk_provisioning.console.web import render, role_required

blueprint = Blueprint("alerts", __name__, url_prefix="/alerts")


@blueprint.route("/")
@role_required(Role.ALERTS)
def page() -> str:
    return render("placeholder.html", title="알림·안내")
