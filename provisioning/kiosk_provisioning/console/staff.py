"""직원 관리 (skeleton: the page comes with its own change)."""

from flask import Blueprint

from kiosk_provisioning.console.models import Role
from kiosk_provisioning.console.web import render, role_required

blueprint = Blueprint("staff", __name__, url_prefix="/staff")


@blueprint.route("/")
@role_required(Role.ADMIN)
def page() -> str:
    return render("placeholder.html", title="직원 관리")
