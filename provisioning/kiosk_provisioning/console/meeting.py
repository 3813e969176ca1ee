"""영상 회의 (skeleton: the page comes with its own change)."""

from flask import Blueprint

from kiosk_provisioning.console.models import Role
from kiosk_provisioning.console.web import render, role_required

blueprint = Blueprint("meeting", __name__, url_prefix="/meeting")


@blueprint.route("/")
@role_required(Role.HOST)
def page() -> str:
    return render("placeholder.html", title="영상 회의")
