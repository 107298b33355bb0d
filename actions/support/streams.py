"""Devices and streams: "too many people are watching", the plan's screen limit, and signing devices out."""

from __future__ import annotations

from accountdb.services import account_security
from actions.replies import Button, payload
from actions.support.base import Call, Outcome, SupportAction, reading
from actions.support.confirm import SIGN_OUT_ALL, SIGN_OUT_DEVICE, ask_to_confirm

DEVICE_BUTTONS = 5


class ActionStreamUsage(SupportAction):
    def name(self) -> str:
        return "action_stream_usage"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        with reading(call.engine) as session:
            usage = account_security.stream_usage(session, caller.actor, caller.account_id)
            devices = account_security.list_devices(session, caller.actor, caller.account_id)
        if usage.plan_name is None:
            outcome.say("Your account has no active subscription, so nothing can be streamed right now.")
            return
        screens = f"{usage.screens} screen{'s' if usage.screens != 1 else ''}"
        lines = [
            f"Your {usage.plan_name} plan lets {screens} play at the same time; {usage.active} playing now."
        ]
        for stream in usage.streams:
            where = f", from {stream.ip_country}" if stream.ip_country else ""
            lines.append(
                f"- {stream.device_name} ({stream.device_kind}): {stream.profile_name}, since "
                f"{stream.started_at:%H:%M} UTC{where}"
            )
        if usage.at_limit:
            lines.append(
                "To watch here, stop one of them or sign a device out. A bigger plan allows more screens."
            )
        else:
            lines.append("You can start another stream. To tidy up, sign out devices you don't use.")
        buttons = [
            Button(f"Sign out {d.name}", payload("sign_out_device", device_id=str(d.device_id)))
            for d in devices
            if d.signed_in
        ][:DEVICE_BUTTONS]
        buttons += [
            Button("Sign out all devices", payload("sign_out_all_devices")),
            Button("Compare plans", payload("compare_plans")),
        ]
        outcome.say("\n".join(lines), buttons)


class ActionPreviewSignOutDevice(SupportAction):
    def name(self) -> str:
        return "action_preview_sign_out_device"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        with reading(call.engine) as session:
            devices = {
                d.device_id: d
                for d in account_security.list_devices(session, caller.actor, caller.account_id)
            }
        raw = call.turn.entity("device_id") or ""
        device = devices.get(int(raw)) if raw.isdigit() else None
        if device is None:
            choices = [d for d in devices.values() if d.signed_in][:DEVICE_BUTTONS]
            outcome.say(
                "I can't find that device on your account. Which one should I sign out?"
                if choices
                else "No device is signed in to your account.",
                [
                    Button(f"Sign out {d.name}", payload("sign_out_device", device_id=str(d.device_id)))
                    for d in choices
                ],
            )
            return
        playing = " Whatever is playing there stops." if device.streaming_now else ""
        ask_to_confirm(
            outcome, caller, SIGN_OUT_DEVICE, {"device_id": device.device_id, "name": device.name},
            f"Sign out {device.name}?{playing} It can sign in again with your password.",
            f"Yes, sign out {device.name}", "No, leave it",
        )  # fmt: skip


class ActionPreviewSignOutAll(SupportAction):
    def name(self) -> str:
        return "action_preview_sign_out_all"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        with reading(call.engine) as session:
            count = sum(
                d.signed_in for d in account_security.list_devices(session, caller.actor, caller.account_id)
            )
        if not count:
            outcome.say("No device is signed in to your account, so there's nothing to sign out.")
            return
        ask_to_confirm(
            outcome, caller, SIGN_OUT_ALL, {},
            f"Sign out all {count} device(s), including this one? Anything playing stops, and each device needs "
            "your password to sign in again.",
            "Yes, sign out everywhere", "No, leave them",
        )  # fmt: skip
