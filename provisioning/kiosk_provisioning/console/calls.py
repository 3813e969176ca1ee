"""전화 (skeleton: the page comes with its own change)."""

from flask import Blueprint

from kiosk_provisioning.console.models import Role
from kiosk_provisioning.console.web import render, role_required

blueprint = Blueprint("calls", __name__, url_prefix="/calls")


@blueprint.route("/")
@role_required(Role.CALLER)
def page() -> str:
    return render("placeholder.html", title="전화")
