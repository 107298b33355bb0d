"""Sign-in and security: a password-reset link to the masked e-mail on file, locked accounts, and "someone
else is using my account" (list devices, then, once confirmed, sign out everywhere, force a reset and open an
urgent ticket). A reset link is never shown in chat: whoever else uses the account could be reading."""

from __future__ import annotations

from accountdb.services import account_security
from accountdb.services.account_security import mask_email
from accountdb.services.records import account_for
from actions.replies import Button, payload
from actions.support.base import Call, Outcome, SupportAction, reading, writing
from actions.support.confirm import SECURE_ACCOUNT, ask_to_confirm
from actions.support.context import turn_id
from actions.support.texts import AGENT_BUTTON

RESET_BUTTON = Button("Send me a reset link", payload("reset_password"))
SIGNED_OUT_RESET_TEXT = (
    'On the sign-in page, choose "Forgot password?" and enter your e-mail address: we\'ll send you a link '
    "to choose a new password. If you're signed in somewhere, ask me there and I'll send it for you."
)


class ActionSendPasswordReset(SupportAction):
    requires_sign_in = False  # signed-out visitors get the public instructions, nothing private

    def name(self) -> str:
        return "action_send_password_reset"

    def handle(self, call: Call, outcome: Outcome) -> None:
        if call.caller is None:
            outcome.say(SIGNED_OUT_RESET_TEXT)
            return
        with writing(call.engine) as session:
            sent = account_security.send_password_reset(
                session, call.caller.actor, call.caller.account_id, turn_id(call.turn, "password_reset")
            )
        outcome.say(
            f"I've e-mailed a password-reset link to {sent.masked_email}. It works once and expires at "
            f"{sent.expires_at:%H:%M} UTC. Didn't get it? Check your spam folder, or ask me again."
        )


class ActionExplainLock(SupportAction):
    requires_sign_in = False

    def name(self) -> str:
        return "action_explain_lock"

    def handle(self, call: Call, outcome: Outcome) -> None:
        if call.caller is None:
            outcome.say(
                "Accounts lock after several wrong passwords, to keep them safe. Setting a new password unlocks "
                f"yours. {SIGNED_OUT_RESET_TEXT}"
            )
            return
        with reading(call.engine) as session:
            lock = account_security.explain_lock(session, call.caller.actor, call.caller.account_id)
        if not lock.locked:
            outcome.say(
                "Your account isn't locked. If signing in fails, " + "; or ".join(lock.unlock_steps) + ".",
                [RESET_BUTTON],
            )
            return
        steps = " Then: ".join(step[:1].upper() + step[1:] + "." for step in lock.unlock_steps)
        outcome.say(f"Your account is locked: {lock.reason}. {steps}", [RESET_BUTTON, AGENT_BUTTON])


class ActionPreviewSecureAccount(SupportAction):
    """ "Someone else is using my account": show the devices, then ask before locking everyone out."""

    def name(self) -> str:
        return "action_preview_secure_account"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        with reading(call.engine) as session:
            devices = account_security.list_devices(session, caller.actor, caller.account_id)
            masked = mask_email(account_for(session, caller.actor, caller.account_id).email)
        signed_in = [d for d in devices if d.signed_in]
        lines = ["Devices signed in to your account:" if signed_in else "No device is signed in right now."]
        for device in signed_in:
            seen = (
                f", last used {device.last_seen_at:%b} {device.last_seen_at.day}"
                if device.last_seen_at
                else ""
            )
            playing = ", playing now" if device.streaming_now else ""
            lines.append(f"- {device.name} ({device.kind}{seen}{playing})")
        outcome.say("\n".join(lines))
        ask_to_confirm(
            outcome, caller, SECURE_ACCOUNT, {},
            "To lock out whoever else is using it, I'll sign out every device, make your current password stop "
            f"working, e-mail a reset link to {masked}, and alert our security team. Go ahead?",
            "Yes, secure my account", "No, not now",
        )  # fmt: skip
