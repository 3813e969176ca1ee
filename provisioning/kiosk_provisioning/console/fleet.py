"""경로당 현황 (skeleton: the page comes with its own change)."""

from flask import Blueprint

from kiosk_provisioning.console.web import render, signed_in

blueprint = Blueprint("fleet", __name__, url_prefix="/fleet")


@blueprint.route("/")
@signed_in
def page() -> str:
    return render("placeholder.html", title="경로당 현황")
