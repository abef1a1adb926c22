"""The call screen's side of the telephone line and of the live message.

Screen pop: when the line says this operator answered a call (a live
channel `answer` event, console/hub/live.py), a new call opens with its clock
started at the answer, stamped by the wall clock and run on the monotonic one
from there, and the calling number shown as "calling from": a label only,
never a verification factor and never put into the phone field, since
caller ID can be forged. When a call is already open it is not touched: a
banner tells the operator the line put a call through. The call keeps the
PBX's call id, its queue and wait, and, once the line says it ended, the
talk time, the cause and who hung up.

The live message ("what we know now") is shown above the caller's form; the
call records the version on screen when it is saved.
"""

from time import monotonic

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QLabel

from console.core.timeutil import HELPLINE_ZONE, now, parse_instant
from console.ui.call.widgets import named


translate = QCoreApplication.translate  # the call screen's words keep its context, "CallScreen"


def _minutes(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


class LinePanel:
    """The labels and slots of the line and the live message, for CallScreen."""

    def _build_line(self):
        self.message_label = named(QLabel(), translate("CallScreen", "What we know now"))
        self.message_label.setWordWrap(True)
        self.message_label.setProperty("role", "live-message")
        self.message_label.hide()
        self.message_version: int | None = None
        self.calling_from_label = named(QLabel(), translate("CallScreen", "Calling from"),
                                        translate("CallScreen", "The number the telephone line gives: caller ID can be forged, "
                                                  "so it never verifies anyone"))
        self.calling_from_label.hide()
        self.pop_banner = named(QLabel(), translate("CallScreen", "Line notice"))
        self.pop_banner.setWordWrap(True)
        self.pop_banner.setProperty("role", "leave")
        self.pop_banner.hide()
        return self.message_label, self.calling_from_label, self.pop_banner

    # the line

    def screen_pop(self, event: dict) -> bool:
        """An `answer` for this operator: open the call, unless one is open (then say so); whether it opened."""
        if self.call is not None:
            queue = event.get("queue") or translate("CallScreen", "no queue")
            self.pop_banner.setText(translate(
                "CallScreen", "The line put another call through to you (queue {queue}) while this call is open: it was not "
                "opened here. This call is kept as it is.").format(queue=queue))
            self.pop_banner.show()
            self.status_message.emit(translate("CallScreen", "Another call was answered on your extension while this "
                                                             "call is open; this call was not changed."))
            return False
        answered = parse_instant(event["answeredAt"]).astimezone(HELPLINE_ZONE)
        self._start_call()
        elapsed = max(0.0, (now() - answered).total_seconds())
        self.call.started_at = answered
        self.call.clock_started = monotonic() - elapsed
        self.call.pbx_call_id = event["callId"]
        self.call.queue = event.get("queue")
        self.call.wait_seconds = event.get("waitSeconds")
        self.call.calling_from = event.get("from")
        self._show_line()
        self._tick()
        self.status_message.emit(translate("CallScreen", "A call from the line is open: its clock started when you answered."))
        return True

    def line_hung_up(self, event: dict) -> None:
        """A `hangup` of the call on screen: its talk time, cause and who hung up join the call."""
        call = self.call
        if call is None or call.pbx_call_id != event["callId"] or call.hangup_cause is not None:
            return
        ended = parse_instant(event["at"]) if event.get("at") else now()
        talk = event.get("talkSeconds")
        call.talk_seconds = float(talk) if talk is not None else max(0.0, (ended - call.started_at).total_seconds())
        call.hangup_cause, call.hung_up_by = event["cause"], event.get("hungUpBy")
        who = {"caller": translate("CallScreen", "the caller"), "operator": translate("CallScreen", "you")}.get(call.hung_up_by,
                                                                                     translate("CallScreen", "the line"))
        self.call_state_label.setText(translate("CallScreen", "Call ended by {who} after {talk}: finish the wrap-up and save "
                                                "(Ctrl+S)").format(who=who, talk=_minutes(call.talk_seconds)))

    def _show_line(self):
        call = self.call
        if call is None or call.pbx_call_id is None:
            self.calling_from_label.hide()
            return
        number = call.calling_from if call.calling_from not in (None, "", "anonymous") else translate("CallScreen", "withheld")
        parts = [translate("CallScreen", "Calling from {number} (caller ID: not a verification)").format(number=number)]
        if call.queue:
            parts.append(translate("CallScreen", "queue {queue}").format(queue=call.queue))
        if call.wait_seconds is not None:
            parts.append(translate("CallScreen", "waited {wait}").format(wait=_minutes(call.wait_seconds)))
        self.calling_from_label.setText(" · ".join(parts))
        self.calling_from_label.show()

    def _clear_line(self):
        self.calling_from_label.setText("")
        self.calling_from_label.hide()
        self.pop_banner.hide()

    def line_record(self) -> dict:
        """The line's fields and the live message's version, for the call record."""
        call, record = self.call, {}
        if call.pbx_call_id is not None:
            record.update(pbx_call_id=call.pbx_call_id, queue=call.queue, wait_seconds=call.wait_seconds,
                          talk_seconds=call.talk_seconds, hangup_cause=call.hangup_cause, hung_up_by=call.hung_up_by)
        if self.message_version is not None:
            record["message_version"] = self.message_version
        return {key: value for key, value in record.items() if value is not None}

    # the live message

    def show_live_message(self, event: dict) -> None:
        """A newer version of "what we know now" (from the live channel, or from the last sync)."""
        if self.message_version is not None and event["version"] <= self.message_version:
            return
        self.message_version = event["version"]
        self.live_message = event
        published = parse_instant(event["publishedAt"]).astimezone(HELPLINE_ZONE)
        self.message_label.setText(translate("CallScreen", "What we know now (version {version}, {time}): {text}").format(
            version=event["version"], time=f"{published:%H:%M}", text=event["text"]))
        self.message_label.show()
