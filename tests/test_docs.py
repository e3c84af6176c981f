"""The README documents every setting and the two set-up commands."""

from pathlib import Path

from reformkg.graph.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_setting_is_in_the_readme_table():
    missing = [name for name in Settings.model_fields if f"`REFORMKG_{name.upper()}`" not in README]
    assert missing == []


def test_readme_shows_the_two_commands():
    assert "make serve" in README
    assert "make test" in README
