"""`karmabot supervisors invite|signout`: one-time dashboard links for supervisors and admins
named as the roster knows them, a polite refusal for anyone else, and signing out everywhere."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot import cli
from tests.bot.conftest import Configure
from tests.bot.test_cli_campaign import ROSTER

runner = CliRunner()


def import_roster(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER.replace("Kiran Das,,,", "Kiran Das,9876500004,,"), encoding="utf-8")
    code, out = invoke("learners", "import", str(roster))
    assert code == 0, out


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli.app, list(args))
    return result.exit_code, result.output


def test_invite_prints_a_one_time_link_under_the_public_url(
    configure: Configure, tmp_path: Path
) -> None:
    app = configure(KARMABOT_PUBLIC_URL="https://karmabot.example.gov.in/",
                    KARMABOT_DASHBOARD_LINK_HOURS="6")  # fmt: skip
    import_roster(tmp_path)

    code, out = invoke("supervisors", "invite", "9876500001")  # Meera, a supervisor, by phone
    assert code == 0, out
    link = out.splitlines()[0]
    assert link.startswith("https://karmabot.example.gov.in/dashboard/signin/")
    assert "Works once, for 6 hours" in out
    token = link.rsplit("/", 1)[1]
    assert app.dashboard_access.link_state(token) == "valid"

    code, out = invoke("supervisors", "signout", "9876500001")
    assert code == 0 and "Ended 0 sessions and voided 1 unused sign-in links." in out
    assert app.dashboard_access.link_state(token) == "used"


def test_invite_refuses_learners_and_unknown_people_politely(
    configure: Configure, tmp_path: Path
) -> None:
    configure()
    import_roster(tmp_path)

    code, out = invoke("supervisors", "invite", "@ravi_kumar_tn")  # a learner
    assert code == 1
    assert "Ravi Kumar has access 'learner'" in out and "only admins" in out
    assert "/dashboard/signin/" not in out
    code, out = invoke("supervisors", "invite", "9999999999")
    assert code == 1 and "no learner '9999999999' in the roster" in out


def test_invite_and_token_name_a_supervisor_by_the_rosters_email(
    configure: Configure, tmp_path: Path
) -> None:
    app = configure()
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,phone,email,organisation,access\n"
        "Meera Rao,9876500001,Meera.Rao@Revenue.example.gov.in,Revenue Dept,supervisor\n"
        "Asha Verma,9876500002,asha@example.gov.in,Tehsil Office,\n",
        encoding="utf-8",
    )
    code, out = invoke("learners", "import", str(roster))
    assert code == 0, out

    code, out = invoke("supervisors", "invite", "meera.rao@revenue.example.gov.in")
    assert code == 0, out
    token = out.splitlines()[0].rsplit("/", 1)[1]
    assert app.dashboard_access.link_state(token) == "valid"
    code, out = invoke("campaign", "token", "MEERA.RAO@revenue.example.gov.in")
    assert code == 0, out

    code, out = invoke("supervisors", "invite", "asha@example.gov.in")  # a learner
    assert code == 1 and "Asha Verma has access 'learner'" in out
    code, out = invoke("supervisors", "invite", "someone@example.gov.in")
    assert code == 1 and "no learner 'someone@example.gov.in' in the roster" in out
