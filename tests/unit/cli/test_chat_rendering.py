import io

from marquee.commands.chat import outgoing, render
from webapp.chat_replies import to_bot_messages

RASA_REPLIES = [
    {
        "text": "Here are two picks:",
        "custom": {
            "type": "title_cards",
            "cards": [
                {
                    "id": 7,
                    "title": "The Last Harbor",
                    "year": 2019,
                    "type": "movie",
                    "genres": ["drama"],
                    "runtime_minutes": 104,
                    "maturity": "PG-13",
                    "reason": "because you watched Salt Road",
                },
                {"id": 9, "title": "Night Shift", "type": "series", "seasons": 2, "genres": []},
            ],
        },
    },
    {"text": "Want more?", "buttons": [{"title": "Another one", "payload": "/refine_another"}]},
]


def test_cards_render_as_text_and_buttons_as_numbered_choices():
    out = io.StringIO()
    choices = render(to_bot_messages(RASA_REPLIES), out)
    text = out.getvalue()
    assert "The Last Harbor (2019 · movie · 104 min · PG-13 · drama)" in text
    assert "because you watched Salt Road" in text
    assert "Night Shift (series · 2 seasons)" in text
    assert "[1] Another one" in text
    assert choices == ["/refine_another"]


def test_a_number_picks_a_button_and_other_text_is_sent_as_typed():
    assert outgoing("1\n", ["/refine_another"]) == "/refine_another"
    assert outgoing("2\n", ["/refine_another"]) == "2"
    assert outgoing("  funny series \n", []) == "funny series"


def test_no_reply_is_said_not_silent():
    out = io.StringIO()
    assert render([], out) == []
    assert "(no reply)" in out.getvalue()
