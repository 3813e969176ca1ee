"""알림·안내: staff send an alert or a notice to every centre, some districts or chosen
centres, and follow each centre's receipts (delivered, shown, acknowledged) live.

Sending is ``kiosk-provision alert``'s own code path
(:mod:`kiosk_provisioning.broker.alerts`: :func:`make_draft`, :func:`send`,
:func:`withdraw`, :func:`clear`): the same checks, sequence numbers, signature, record
(``REPO/alerts/record.sqlite3``) and retained publication. This module only turns a
form into a draft, says what is wrong in Korean next to the field, records who did
what (:class:`~.models.Activity`) and shows the record and the receipts.

A notice (오늘의 안내) goes out as a 안내 alert: on the fleet channel that is how a
non-urgent message reaches a box now (blue screen until 확인, then in the box's 오늘의
안내 list until it expires). Notices planned ahead for given days live in the signed
configuration (``notices`` in fleet.json), which a technician builds and publishes.
"""

import datetime as dt
import logging
import time
import zoneinfo
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, jsonify, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import ValidationError

from kiosk_contract.config import KioskConfig, parse_config
from kiosk_contract.fleet import (
    MAX_ALERT_DAYS,
    MAX_PICTURE_BYTES,
    MAX_VOICE_BYTES,
    Alert,
    Level,
    Receipt,
)
from kiosk_provisioning.broker.alerts import (
    MAX_HOURS,
    MAX_TEXT,
    MAX_TEXT_EN,
    PICTURE_KINDS,
    STATES,
    VOICE_KINDS,
    AlertRecord,
    Draft,
    SentAlert,
    clear,
    cut_short,
    make_draft,
    media_kind,
    send,
    withdraw,
)
from kiosk_provisioning.broker.centres import built_configs, built_dir
from kiosk_provisioning.broker.session import HallSession
from kiosk_provisioning.console.models import Activity, Role, Staff
from kiosk_provisioning.console.web import current_console, me, render, role_required
from kiosk_provisioning.identity.directory import identity_folder
from kiosk_provisioning.problems import ProvisionError

log = logging.getLogger(__name__)

blueprint = Blueprint("alerts", __name__, url_prefix="/alerts")

LEVELS = {"info": Level.INFO, "caution": Level.CAUTION, "emergency": Level.EMERGENCY}
LEVEL_WORDS = {Level.INFO: "안내", Level.CAUTION: "주의", Level.EMERGENCY: "긴급"}
LEVEL_HELP = {
    "info": "알려 드릴 일 (행사, 일정 바뀜). 파란 화면, 확인을 누를 때까지 1분마다 다시 알림.",
    "caution": "조심하실 일 (폭염, 호우, 한파). 주황 화면, 30초마다 다시 알림.",
    "emergency": "바로 행동하실 일 (대피, 태풍 경보). 빨간 화면, 10초마다 다시 알림.",
}
AUDIENCES = [("all", "모든 경로당"), ("district", "읍·면·동 고르기"), ("centres", "경로당 고르기")]
TITLE_MAX = 40
STATE_WORDS = {"delivered": "받음", "shown": "화면에 뜸", "acknowledged": "확인 누름"}
FIELD_OF_OPTION = {
    "--text": "text",
    "--text-en": "text_en",
    "--hours": "hours",
    "--district": "districts",
    "--centre": "centres",
}
"""Which form field a problem of the shared checks (named by the command's option) is."""


# -- the fleet as built ------------------------------------------------------------


@dataclass(frozen=True)
class Fleet:
    """The centres of the last build, as the forms and pages need them."""

    configs: list[KioskConfig]

    @classmethod
    def load(cls) -> "Fleet":
        return cls(built_configs(current_console().settings.repo))

    def names(self) -> dict[str, str]:
        return {c.centre.id: c.centre.name for c in self.configs}

    def districts(self) -> dict[str, list[str]]:
        """District -> its centres' ids (centres without a district are not listed)."""
        found: dict[str, list[str]] = {}
        for config in self.configs:
            if config.centre.district:
                found.setdefault(config.centre.district, []).append(config.centre.id)
        return dict(sorted(found.items()))

    def zone(self) -> dt.tzinfo:
        """The centres' time zone (times on the pages are the centres' times)."""
        name = self.configs[0].centre.timezone if self.configs else "Asia/Seoul"
        return zoneinfo.ZoneInfo(name)


def centres_zone() -> dt.tzinfo:
    """:meth:`Fleet.zone` from one built configuration (the receipts are polled every
    2 s: reading 500 configurations each time is not needed for a time zone)."""
    first = next(iter(sorted(built_dir(current_console().settings.repo).glob("*.json"))), None)
    if first is None:
        return zoneinfo.ZoneInfo("Asia/Seoul")
    return zoneinfo.ZoneInfo(parse_config(first.read_bytes()).centre.timezone)


def clock(seconds: float | None, zone: dt.tzinfo, with_day: bool = False) -> str:
    if not seconds:
        return ""
    moment = dt.datetime.fromtimestamp(seconds, zone)
    return moment.strftime("%m-%d %H:%M:%S" if with_day else "%H:%M:%S")


# -- the forms ---------------------------------------------------------------------


def _korean_required(message: str) -> Any:
    def check(_form: FlaskForm, field: Any) -> None:
        if not (field.data or "").strip():
            raise ValidationError(message)

    return check


def _at_most(limit: int, what: str) -> Any:
    def check(_form: FlaskForm, field: Any) -> None:
        if len(field.data or "") > limit:
            raise ValidationError(f"{what}은(는) {limit}자까지입니다 (지금 {len(field.data)}자).")

    return check


class _Sending(FlaskForm):  # type: ignore[misc]
    """What an alert and a notice share: the audience, the voice and the picture."""

    audience = RadioField("누구에게", choices=AUDIENCES, default="district")
    districts = SelectMultipleField("읍·면·동", choices=[], validate_choice=False)
    centres = SelectMultipleField("경로당", choices=[], validate_choice=False)
    voice = FileField("녹음한 목소리 (선택, OGG·WAV·MP3, 600 kB까지)")
    read_aloud = BooleanField("녹음이 없으면 글을 기계 목소리로 읽어 주기", default=True)
    picture = FileField("사진 (선택, PNG·JPEG, 400 kB까지)")

    def fill_choices(self, fleet: Fleet) -> None:
        names = fleet.names()
        self.districts.choices = [
            (d, f"{d} ({len(ids)}곳)") for d, ids in fleet.districts().items()
        ]
        self.centres.choices = [(c, f"{names[c]} ({c})") for c in sorted(names)]
        self._fleet = fleet

    def validate_districts(self, field: Any) -> None:
        if self.audience.data != "district":
            return
        if not field.data:
            raise ValidationError("읍·면·동을 하나 이상 고르세요.")
        unknown = sorted(set(field.data) - set(self._fleet.districts()))
        if unknown:
            raise ValidationError(f"읍·면·동 중 없는 이름입니다: {', '.join(unknown)}")

    def validate_centres(self, field: Any) -> None:
        if self.audience.data != "centres":
            return
        if not field.data:
            raise ValidationError("경로당을 하나 이상 고르세요.")
        unknown = sorted(set(field.data) - set(self._fleet.names()))
        if unknown:
            raise ValidationError(f"경로당 중 없는 것이 있습니다: {', '.join(unknown)}")

    def validate_voice(self, field: Any) -> None:
        self.voice_bytes = _upload(field.data, VOICE_KINDS, MAX_VOICE_BYTES, "녹음", "OGG·WAV·MP3")

    def validate_picture(self, field: Any) -> None:
        self.picture_bytes = _upload(
            field.data, PICTURE_KINDS, MAX_PICTURE_BYTES, "사진", "PNG·JPEG"
        )

    def reached(self) -> list[str]:
        """The centres the chosen audience reaches now."""
        if self.audience.data == "all":
            return sorted(self._fleet.names())
        if self.audience.data == "district":
            chosen = set(self.districts.data)
            return sorted(
                c for d, ids in self._fleet.districts().items() if d in chosen for c in ids
            )
        return sorted(set(self.centres.data) & set(self._fleet.names()))

    def who(self) -> tuple[bool, list[str], list[str]]:
        """(everyone, districts, centres) as :func:`make_draft` takes them."""
        kind = self.audience.data
        return (
            kind == "all",
            list(self.districts.data) if kind == "district" else [],
            list(self.centres.data) if kind == "centres" else [],
        )


def _upload(
    storage: FileStorage | None, kinds: tuple[str, ...], limit: int, what: str, wanted: str
) -> bytes | None:
    """An uploaded file's bytes, checked by their content (not the name): one of *kinds*,
    complete, at most *limit* bytes; ``None`` when nothing was chosen."""
    if storage is None or not isinstance(storage, FileStorage) or not storage.filename:
        return None
    data = bytes(storage.read(limit + 1))
    if not data:
        return None
    if len(data) > limit:
        raise ValidationError(f"{what} 파일이 너무 큽니다: {limit // 1000} kB까지입니다.")
    if media_kind(data) not in kinds:
        raise ValidationError(f"{what} 파일이 {wanted}이 아닙니다 (파일 내용으로 확인합니다).")
    if cut_short(data):
        raise ValidationError(f"{what} 파일이 중간에 끊겼습니다. 다시 올려 주세요.")
    return data


class AlertForm(_Sending):
    level = RadioField(
        "얼마나 급한가요",
        choices=[("info", "안내"), ("caution", "주의"), ("emergency", "긴급")],
        default="caution",
    )
    text = TextAreaField(
        "알림 글 (한국어, 300자까지)",
        validators=[_korean_required("알림 글을 쓰세요."), _at_most(MAX_TEXT, "알림 글")],
    )
    text_en = TextAreaField(
        "영어 글 (선택, 450자까지)", validators=[_at_most(MAX_TEXT_EN, "영어 글")]
    )
    hours = StringField("몇 시간 동안 (1–168시간)", default="6")
    confirm_reach = HiddenField(default="")
    """For 긴급: the number of centres staff confirmed it reaches."""

    def validate_level(self, field: Any) -> None:
        if field.data not in LEVELS:
            raise ValidationError("얼마나 급한지 고르세요 (안내·주의·긴급).")

    def validate_hours(self, field: Any) -> None:
        try:
            hours = int((field.data or "").strip())
        except ValueError:
            raise ValidationError("몇 시간 동안인지 숫자로 쓰세요 (1–168).") from None
        if not 1 <= hours <= MAX_HOURS:
            raise ValidationError(f"시간은 1에서 {MAX_HOURS}까지입니다 (최대 {MAX_ALERT_DAYS}일).")
        self.hours_value = hours


class NoticeForm(_Sending):
    title = StringField(
        "제목 (40자까지)",
        validators=[_korean_required("제목을 쓰세요."), _at_most(TITLE_MAX, "제목")],
    )
    text = TextAreaField(
        "안내 글 (제목과 합쳐 300자까지)", validators=[_korean_required("안내 글을 쓰세요.")]
    )
    valid_to = StringField("언제까지 (그날 밤 12시까지, 7일 안)")

    def validate_text(self, field: Any) -> None:
        room = MAX_TEXT - len(self.title.data or "") - 1
        if len(field.data or "") > room:
            raise ValidationError(
                f"안내 글은 제목과 합쳐 {MAX_TEXT}자까지입니다: 글은 {room}자까지 "
                f"쓸 수 있습니다 (지금 {len(field.data)}자)."
            )

    def validate_valid_to(self, field: Any) -> None:
        today = dt.datetime.now(self._fleet.zone()).date()
        try:
            last = dt.date.fromisoformat((field.data or "").strip())
        except ValueError:
            raise ValidationError("끝나는 날을 고르세요 (예: 2026-12-01).") from None
        if not today <= last <= today + dt.timedelta(days=MAX_ALERT_DAYS - 1):
            raise ValidationError(
                f"끝나는 날은 오늘부터 {MAX_ALERT_DAYS - 1}일 뒤까지 고를 수 있습니다."
            )
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), self._fleet.zone())
        self.hours_value = min((end.timestamp() - time.time()) / 3600, MAX_HOURS)


# -- sending -----------------------------------------------------------------------


class NotSentError(Exception):
    """Why nothing (or not everything) went out, in Korean, for the form's top."""


def _publish(draft: Draft) -> Alert:
    """Sign and publish *draft* as ``kiosk-provision alert`` does."""
    console = current_console()
    if console.settings.broker is None:
        raise NotSentError(
            "알림 채널(브로커)이 설정되지 않아 보낼 수 없습니다. 기술 담당자에게 문의하세요."
        )
    record = AlertRecord(console.settings.repo)
    try:
        with HallSession.open(
            console.settings.broker, identity_folder(console.settings.repo)
        ) as hall:
            alert, cleared = send(console.settings.repo, hall, record, draft)
    except ProvisionError as err:
        log.warning("alert not sent: %s", err)
        raise NotSentError(f"알림 채널에 보내지 못했습니다: {err}") from None
    if cleared:
        log.info("cleared from the broker: %s", ", ".join(cleared))
    return alert


def _draft(form: _Sending, level: Level, text: str, text_en: str, hours: float) -> Draft | None:
    """The shared checks on the form's values; ``None`` with the problems put on the
    form's fields."""
    everyone, districts, centres = form.who()
    try:
        return make_draft(
            form._fleet.configs, level, text, text_en, everyone, districts, centres, hours,
            form.voice_bytes, form.picture_bytes, read_aloud=bool(form.read_aloud.data),
        )  # fmt: skip
    except ProvisionError as err:
        for problem in err.problems:
            field = getattr(form, FIELD_OF_OPTION.get(problem.source, ""), None)
            target = field.errors if field is not None else form.form_errors
            target.append(problem.message)
        return None


def _record_activity(what: str, detail: str) -> None:
    with current_console().db.session() as session:
        session.add(Activity(staff_id=me().id, what=what, detail=detail))


def _audience_words(kind: str, names: list[str] | tuple[str, ...], fleet: Fleet) -> str:
    if kind == "all":
        return "모든 경로당"
    if kind == "district":
        return ", ".join(names)
    centre_names = fleet.names()
    return ", ".join(centre_names.get(c, c) for c in names)


@blueprint.route("/new", methods=["GET", "POST"])
@role_required(Role.ALERTS)
def new_alert() -> ResponseReturnValue:
    fleet = Fleet.load()
    form = AlertForm()
    form.fill_choices(fleet)
    confirm = None
    if form.validate_on_submit():
        level = LEVELS[form.level.data]
        reached = form.reached()
        if level is Level.EMERGENCY and form.confirm_reach.data != str(len(reached)):
            # The page's script asks first; without it (or with the audience changed
            # since), this is the confirmation step.
            confirm = len(reached)
            form.confirm_reach.data = str(confirm)
        else:
            draft = _draft(form, level, form.text.data, form.text_en.data or "", form.hours_value)
            if draft is not None:
                try:
                    alert = _publish(draft)
                except NotSentError as err:
                    form.form_errors.append(str(err))
                    return _alert_form(form, fleet), 502
                _record_activity(
                    "alert-sent",
                    f"{alert.id} {LEVEL_WORDS[level]} → "
                    f"{_audience_words(alert.audience.kind, alert.audience.names, fleet)}: "
                    f"{alert.text[:80]}",
                )
                return redirect(url_for("alerts.sent", alert_id=alert.id))
    if form.is_submitted() and confirm is None:
        return _alert_form(form, fleet), 400
    return _alert_form(form, fleet, confirm)


def _alert_form(form: AlertForm, fleet: Fleet, confirm: int | None = None) -> str:
    return render(
        "alert_form.html",
        title="알림 보내기",
        form=form,
        fleet=fleet,
        level_help=LEVEL_HELP,
        confirm=confirm,
    )


@blueprint.route("/notice", methods=["GET", "POST"])
@role_required(Role.ALERTS)
def new_notice() -> ResponseReturnValue:
    fleet = Fleet.load()
    form = NoticeForm()
    form.fill_choices(fleet)
    if not form.is_submitted():
        form.valid_to.data = dt.datetime.now(fleet.zone()).date().isoformat()
    if form.validate_on_submit():
        text = f"{form.title.data.strip()}\n{form.text.data.strip()}"
        draft = _draft(form, Level.INFO, text, "", form.hours_value)
        if draft is not None:
            try:
                alert = _publish(draft)
            except NotSentError as err:
                form.form_errors.append(str(err))
                return _notice_form(form, fleet), 502
            _record_activity(
                "notice-sent",
                f"{alert.id} 오늘의 안내 → "
                f"{_audience_words(alert.audience.kind, alert.audience.names, fleet)}: "
                f"{form.title.data.strip()}",
            )
            return redirect(url_for("alerts.sent", alert_id=alert.id))
    if form.is_submitted():
        return _notice_form(form, fleet), 400
    return _notice_form(form, fleet)


def _notice_form(form: NoticeForm, fleet: Fleet) -> str:
    return render("alert_notice.html", title="오늘의 안내 보내기", form=form, fleet=fleet)


# -- what was sent, and how far it got ---------------------------------------------


def _receipts(alert_id: str) -> dict[str, Receipt] | None:
    """Each centre's latest receipt; ``None`` without a fleet channel."""
    fleet = current_console().fleet
    return None if fleet is None else fleet.receipts(alert_id)


def receipt_totals(alert: SentAlert, receipts: dict[str, Receipt]) -> dict[str, int]:
    """How many of the alert's centres got at least as far as each state."""
    reached = {c: STATES.index(r.state) for c, r in receipts.items() if c in alert.centres}
    totals = {state: sum(i >= n for i in reached.values()) for n, state in enumerate(STATES)}
    return {"centres": len(alert.centres), **totals}


def _status(alert: SentAlert, now: float) -> str:
    if alert.sent_at is None:
        return "보내지 못함"
    if alert.withdrawn_at:
        return "철회함"
    if alert.expires_at <= now:
        return "끝남"
    return "알리는 중"


def _find(alert_id: str) -> SentAlert:
    try:
        return AlertRecord(current_console().settings.repo).find(alert_id)
    except ProvisionError:
        abort(404)


def _sender(alert_id: str) -> str:
    with current_console().db.session() as session:
        row = session.execute(
            select(Staff.name, Staff.department)
            .join(Activity, Activity.staff_id == Staff.id)
            .where(
                Activity.what.in_(("alert-sent", "notice-sent")),
                Activity.detail.startswith(f"{alert_id} "),
            )
        ).first()
    if row is None:
        return "kiosk-provision alert (명령)"
    return f"{row.name} · {row.department}" if row.department else row.name


@blueprint.route("/")
@role_required(Role.ALERTS)
def page() -> str:
    fleet = Fleet.load()
    zone = fleet.zone()
    now = time.time()
    rows = []
    for alert in reversed(AlertRecord(current_console().settings.repo).alerts()):
        receipts = _receipts(alert.id)
        rows.append(
            {
                "alert": alert,
                "level": LEVEL_WORDS[alert.level],
                "issued": clock(alert.issued_at, zone, with_day=True),
                "audience": _audience_words(alert.audience.kind, alert.audience.names, fleet),
                "status": _status(alert, now),
                "totals": None if receipts is None else receipt_totals(alert, receipts),
            }
        )
    return render("alerts.html", title="알림·안내", rows=rows)


@blueprint.route("/<alert_id>")
@role_required(Role.ALERTS)
def sent(alert_id: str) -> str:
    alert = _find(alert_id)
    fleet = Fleet.load()
    zone = fleet.zone()
    names = fleet.names()
    districts = {c.centre.id: c.centre.district for c in fleet.configs}
    centres = [(c, names.get(c, c), districts.get(c, "")) for c in alert.centres]
    return render(
        "alert_sent.html",
        title=f"알림 {alert.id}",
        alert=alert,
        level=LEVEL_WORDS[alert.level],
        level_key=alert.level.value,
        audience=_audience_words(alert.audience.kind, alert.audience.names, fleet),
        issued=clock(alert.issued_at, zone, with_day=True),
        expires=clock(alert.expires_at, zone, with_day=True),
        withdrawn=clock(alert.withdrawn_at, zone, with_day=True),
        status=_status(alert, time.time()),
        sender=_sender(alert.id),
        centres=centres,
        states=[(s, STATE_WORDS[s]) for s in STATES],
        channel=current_console().fleet is not None,
    )


@blueprint.route("/<alert_id>/receipts")
@role_required(Role.ALERTS)
def receipts(alert_id: str) -> ResponseReturnValue:
    """How far the alert got at each of its centres, for the page's script."""
    alert = _find(alert_id)
    found = _receipts(alert_id)
    zone = centres_zone()
    watch = current_console().fleet
    centres = {
        centre: {"state": r.state, "at": r.at, "time": clock(r.at, zone)}
        for centre, r in (found or {}).items()
        if centre in alert.centres and r.alert == alert.id
    }
    return jsonify(
        channel=watch is not None,
        connected=bool(watch is not None and watch.connected),
        totals=receipt_totals(alert, found or {}),
        centres=centres,
        status=_status(alert, time.time()),
        now=clock(time.time(), zone),
    )


@blueprint.route("/<alert_id>/withdraw", methods=["POST"])
@role_required(Role.ALERTS)
def withdraw_alert(alert_id: str) -> ResponseReturnValue:
    """Withdraw: boxes that connect from now on do not get it (one showing it keeps it
    until 확인), as ``kiosk-provision alert --withdraw``."""
    console = current_console()
    _find(alert_id)
    record = AlertRecord(console.settings.repo)
    alert = withdraw(record, alert_id)
    _record_activity("alert-withdrawn", f"{alert.id}")
    if console.settings.broker is not None:
        try:
            with HallSession.open(
                console.settings.broker, identity_folder(console.settings.repo)
            ) as hall:
                clear(hall, record, [alert])
        except ProvisionError as err:
            # Recorded as withdrawn: the next alert sent clears it from the broker.
            log.warning("withdrawn alert %s not cleared yet: %s", alert.id, err)
    return redirect(url_for("alerts.sent", alert_id=alert.id))
