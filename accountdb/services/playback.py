"""Playback troubleshooting: Marquee's table of error codes and a decision tree over their fix-up steps.

Each code lists steps in the order support agents try them, cheapest and likeliest first; a step may only
apply to some kinds of device. Given the device, the code (or, without a code, the symptom) and the steps
already tried, `next_step` returns the next one, or says to escalate when none is left. No account data is
involved, so no actor is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from accountdb.models import DeviceKind
from accountdb.services.errors import InvalidRequest

ALL = frozenset(DeviceKind)
TV_LIKE = frozenset({DeviceKind.TV, DeviceKind.CONSOLE})
APPS = frozenset({DeviceKind.TV, DeviceKind.CONSOLE, DeviceKind.MOBILE, DeviceKind.TABLET})
HANDHELD = frozenset({DeviceKind.MOBILE, DeviceKind.TABLET})
WEB = frozenset({DeviceKind.WEB})


@dataclass(frozen=True)
class Step:
    step_id: str
    text: str
    devices: frozenset[str] = ALL


@dataclass(frozen=True)
class ErrorCode:
    code: str
    category: str  # network, connectivity, drm, cast, app, download, account, quality, audio, subtitles
    meaning: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Advice:
    code: str
    meaning: str
    escalate: bool
    step_id: str | None
    step: str | None
    steps_left: int  # after this one
    tried: tuple[str, ...]


RESTART_DEVICE = Step(
    "restart_device", "Turn the device off, unplug it for 30 seconds, then turn it back on."
)
RESTART_ROUTER = Step(
    "restart_router",
    "Unplug your modem and router for 30 seconds, plug them back in and wait until the lights settle.",
)
SIGN_OUT_IN = Step("sign_out_in", "Sign out of Marquee on this device, then sign back in.")
REINSTALL = Step(
    "reinstall_app", "Delete the Marquee app, restart the device and install the app again.", APPS
)
CLEAR_APP_DATA = Step(
    "clear_app_data", "In the device settings, open Apps > Marquee > Storage and choose Clear data.",
    frozenset({DeviceKind.TV, DeviceKind.MOBILE, DeviceKind.TABLET}),
)  # fmt: skip
UPDATE_SYSTEM = Step(
    "update_system", "Install any system or firmware update the device offers, then try again."
)
UPDATE_BROWSER = Step("update_browser", "Update the browser to its latest version and restart it.", WEB)
NO_VPN = Step("no_vpn", "Turn off any VPN, proxy or ad-blocking DNS, on the device and on the router.")
WIRED = Step(
    "wired",
    "Connect the device to the router with an Ethernet cable, or move it closer to the router.",
    TV_LIKE,
)
MOBILE_DATA = Step(
    "switch_network", "Switch between Wi-Fi and mobile data to see whether one of them works.", HANDHELD
)
INCOGNITO = Step("private_window", "Open Marquee in a private window, where extensions are off.", WEB)

_TABLE: tuple[ErrorCode, ...] = (
    ErrorCode("NW-2-5", "network", "the device cannot reach Marquee at all",
              (Step("other_app", "Check that another app or website works on the same device."), RESTART_DEVICE,
               RESTART_ROUTER, WIRED, MOBILE_DATA, NO_VPN,
               Step("dns", "Set the device's DNS to automatic (or to your provider's) in its network settings."))),
    ErrorCode("NW-4-7", "network", "the network answered, but too slowly or with data that got lost",
              (RESTART_ROUTER, WIRED, MOBILE_DATA, NO_VPN, UPDATE_SYSTEM)),
    ErrorCode("1011", "connectivity", "the app lost its connection while signing in or loading",
              (Step("airplane", "Turn airplane mode on for 10 seconds and off again.", HANDHELD), MOBILE_DATA,
               Step("clock", "Set the date and time to automatic: a wrong clock breaks secure connections."),
               RESTART_ROUTER, CLEAR_APP_DATA, REINSTALL)),
    ErrorCode("1016", "connectivity", "the connection dropped during playback",
              (RESTART_ROUTER, MOBILE_DATA, WIRED, NO_VPN,
               Step("lower_quality", "In App Settings > Video quality, choose Data saver and try again."))),
    ErrorCode("10008", "drm", "the content protection (DRM) check failed, so the title cannot be decrypted",
              (UPDATE_BROWSER,
               Step("protected_content", "In the browser's site settings, allow protected content for Marquee.", WEB),
               Step("screen_capture", "Close screen recorders and mirroring apps, and unplug capture cards."),
               Step("hdmi_direct", "Plug the streaming device straight into the TV, not through a receiver or "
                                   "splitter; those can fail the HDCP check.", TV_LIKE),
               UPDATE_SYSTEM, CLEAR_APP_DATA, REINSTALL)),
    ErrorCode("5.7", "cast", "the phone could not hand the video to the Chromecast, AirPlay or smart-TV receiver",
              (Step("same_network", "Make sure the phone and the TV or cast device are on the same Wi-Fi network "
                                    "(not a guest network)."),
               Step("restart_cast", "Unplug the Chromecast or TV for 30 seconds and plug it back in."),
               Step("cast_update", "Update the cast device's firmware from its settings or the Google Home app."),
               RESTART_ROUTER,
               Step("client_isolation", "In the router settings, turn off AP / client isolation, which stops "
                                        "devices on one network from seeing each other."))),
    ErrorCode("TVQ-PB-101", "app", "the TV app's stored data is out of date or damaged",
              (RESTART_DEVICE, SIGN_OUT_IN, CLEAR_APP_DATA, REINSTALL, UPDATE_SYSTEM)),
    ErrorCode("TVQ-ST-103", "app", "the app could not load what it needs to start",
              (RESTART_DEVICE, RESTART_ROUTER, SIGN_OUT_IN, REINSTALL)),
    ErrorCode("DL-110", "download", "this device cannot download more: the plan's download-device limit is reached",
              (Step("remove_downloads", "Delete downloads on a device you no longer use (App > Downloads > Edit)."),
               Step("manage_download_devices", "Remove an old device under Account > Download devices on the website."),
               Step("upgrade_plan", "If you need more devices with downloads, a higher plan allows more."))),
    ErrorCode("HDCP-4K", "quality", "4K is blocked because the screen or cable does not support HDCP 2.2",
              (Step("4k_port", "Use the TV's HDMI port marked HDCP 2.2 or 4K (often HDMI 1 or 2).", TV_LIKE),
               Step("hdmi_cable", "Use a Premium High Speed HDMI cable.", TV_LIKE),
               Step("plan_4k", "Check that the plan includes 4K (Premium) and that playback quality is set to High."),
               UPDATE_SYSTEM)),
)  # fmt: skip

# Without a code: the symptom picks the entry whose steps fit it.
_SYMPTOMS: tuple[ErrorCode, ...] = (
    ErrorCode("SYMPTOM-BUFFERING", "network", "playback keeps buffering or the picture is blurry",
              (RESTART_ROUTER, WIRED, MOBILE_DATA, NO_VPN, RESTART_DEVICE, UPDATE_SYSTEM)),
    ErrorCode("SYMPTOM-NO-SOUND", "audio", "the video plays without sound",
              (Step("volume", "Check the volume and mute on the device, the TV and any speaker or soundbar."),
               Step("audio_track", "Open the audio menu during playback and pick another audio track, then back."),
               Step("audio_format", "Set the device's audio output to Stereo or PCM instead of Dolby or Auto.", TV_LIKE),
               RESTART_DEVICE, UPDATE_SYSTEM)),
    ErrorCode("SYMPTOM-BLACK-SCREEN", "drm", "the screen stays black while the audio or the timer runs",
              (Step("hdmi_direct", "Plug the streaming device straight into the TV, not through a receiver.", TV_LIKE),
               UPDATE_BROWSER, INCOGNITO, RESTART_DEVICE, UPDATE_SYSTEM)),
    ErrorCode("SYMPTOM-SUBTITLES", "subtitles", "the subtitles are missing, wrong or out of sync",
              (Step("subtitle_menu", "During playback, open the audio and subtitles menu and choose the language."),
               Step("subtitle_toggle", "Turn subtitles off and on again, then restart the episode."),
               RESTART_DEVICE, CLEAR_APP_DATA)),
    ErrorCode("SYMPTOM-WONT-START", "app", "the app or a title does not start",
              (RESTART_DEVICE, SIGN_OUT_IN, CLEAR_APP_DATA, INCOGNITO, REINSTALL, UPDATE_SYSTEM)),
)  # fmt: skip
_SYMPTOM_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SYMPTOM-NO-SOUND", ("no sound", "no audio", "sound", "audio", "mute")),
    ("SYMPTOM-SUBTITLES", ("subtitle", "caption", "cc")),
    ("SYMPTOM-BLACK-SCREEN", ("black screen", "black", "blank screen", "green screen")),
    (
        "SYMPTOM-BUFFERING",
        ("buffer", "loading", "spinning", "slow", "lag", "freez", "stutter", "blurry", "pixel"),
    ),
    ("SYMPTOM-WONT-START", ("won't start", "wont start", "doesn't start", "crash", "won't open", "not open")),
)
ERROR_CODES: dict[str, ErrorCode] = {entry.code: entry for entry in _TABLE + _SYMPTOMS}
_BY_SQUASHED = {re.sub(r"[^A-Z0-9]", "", entry.code): entry for entry in _TABLE}


def find_code(code: str) -> ErrorCode | None:
    """The table entry for a code as people type it ("nw 2 5", "tvq-pb-101", "Error 1011")."""
    squashed = re.sub(r"[^A-Z0-9]", "", (code or "").upper()).removeprefix("ERROR").removeprefix("CODE")
    return _BY_SQUASHED.get(squashed)


def match_symptom(symptoms: str) -> ErrorCode | None:
    text = (symptoms or "").lower()
    for code, words in _SYMPTOM_WORDS:
        if any(word in text for word in words):
            return ERROR_CODES[code]
    return None


def _device_kind(device: str) -> str:
    kind = (device or "").strip().lower()
    aliases = {"phone": "mobile", "smartphone": "mobile", "iphone": "mobile", "android": "mobile", "ipad": "tablet",
               "browser": "web", "computer": "web", "laptop": "web", "pc": "web", "mac": "web", "smart tv": "tv",
               "television": "tv", "roku": "tv", "fire tv": "tv", "apple tv": "tv", "chromecast": "tv",
               "playstation": "console", "xbox": "console", "switch": "console"}  # fmt: skip
    kind = aliases.get(kind, kind)
    if kind not in ALL:
        raise InvalidRequest(f"unknown device {device!r}; say tv, mobile, tablet, web (browser) or console")
    return kind


def next_step(
    device: str, code: str | None = None, symptoms: str = "", tried: tuple[str, ...] = ()
) -> Advice:
    """The next untried step for this device, or `escalate=True` when the steps are exhausted.

    An unknown code with no recognisable symptom escalates at once: guessing steps wastes the subscriber's time.
    """
    kind = _device_kind(device)
    entry = (find_code(code) if code else None) or match_symptom(symptoms)
    if entry is None:
        label = (code or "").strip() or "no code"
        return Advice(label, "an error we have no fix-up steps for", True, None, None, 0, tuple(tried))
    steps = [step for step in entry.steps if kind in step.devices and step.step_id not in tried]
    if not steps:
        return Advice(entry.code, entry.meaning, True, None, None, 0, tuple(tried))
    return Advice(
        entry.code, entry.meaning, False, steps[0].step_id, steps[0].text, len(steps) - 1, tuple(tried)
    )
