"""`karmabot campaign …` from the operator's terminal: a roster with an organisation tree, a
campaign created, previewed (counts and a sample per language), sent, paused, reported; API
tokens issued to supervisors only."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot import cli
from learning.campaign_models import SendRow
from tests.bot.conftest import Configure

runner = CliRunner()

ROSTER = """name,phone,telegram,organisation,parent_organisation,role,language,access,mandatory
Meera Rao,9876500001,,Revenue Dept,,Director,en,supervisor,
Asha Verma,9876500002,,Tehsil Office,Revenue Dept,Clerk,hi,,rti-for-officials:2027-01-31
Ravi Kumar,,@ravi_kumar_tn,Tehsil Office,,Clerk,ta,,
Kiran Das,,,Health Dept,,Clerk,en,,
"""


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli.app, list(args))
    return result.exit_code, result.output


def test_create_preview_send_pause_and_status(configure: Configure, tmp_path: Path) -> None:
    app = configure()
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER.replace("Kiran Das,,,", "Kiran Das,9876500004,,"), encoding="utf-8")
    code, out = invoke("learners", "import", str(roster))
    assert code == 0, out

    code, out = invoke(
        "campaign", "create", "Finish RTI", "--course", "rti-for-officials",
        "--status", "not_completed", "--org", "Revenue Dept", "--template", "deadline",
        "--due-date", "2027-01-31", "--sender", "The Collector",
    )  # fmt: skip
    assert code == 0, out
    assert "3 learners, 2 reachable" in out  # Ravi has no chat yet; Kiran is in Health
    campaign_id = out.split("Created campaign ")[1].split(" ")[0]

    code, out = invoke("campaign", "preview", campaign_id)
    assert code == 0, out
    assert "by language: en 1, hi 1, ta 1" in out
    assert "by channel: none 1, whatsapp 2" in out
    assert "no_channel 1" in out
    assert "The Collector reminds you that" in out and "January 31, 2027" in out
    assert "31 जनवरी 2027" in out  # the Hindi sample, with the date in Hindi

    code, out = invoke("campaign", "send", campaign_id, "--yes")
    assert code == 0 and "Scheduled for" in out, out
    code, out = invoke("campaign", "send", campaign_id, "--yes")
    assert code == 1 and "not a draft" in out

    from learning.campaigns import Campaigns
    from learning.sends import SendQueue

    Campaigns(app.sessions, SendQueue(app.sessions)).start_due()  # what the worker does
    code, out = invoke("campaign", "pause", campaign_id)
    assert code == 0 and "is now paused" in out
    code, out = invoke("campaign", "status", campaign_id)
    assert code == 0, out
    assert "paused" in out and "targeted 3, sent 0" in out and "waiting 2" in out
    assert "skipped: no_channel 1" in out
    with app.sessions() as session:
        assert session.query(SendRow).count() == 3

    code, out = invoke("campaign", "list")
    assert code == 0 and "paused" in out and "Finish RTI" in out


def test_tokens_go_to_supervisors_only(configure: Configure, tmp_path: Path) -> None:
    configure()
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    invoke("learners", "import", str(roster))
    code, out = invoke("campaign", "token", "9876500001", "--label", "district dashboard")
    assert code == 0 and out.startswith("kbt_"), out
    code, out = invoke("campaign", "token", "9876500002")
    assert code == 1 and "karmabot:" in out
    code, out = invoke("campaign", "token", "9999999999")
    assert code == 1 and "no learner" in out
    code, out = invoke("campaign", "token", "9876500001", "--revoke")
    assert code == 0 and "Revoked 1 tokens." in out


def test_bad_filters_are_refused_with_the_reason(configure: Configure) -> None:
    configure()
    code, out = invoke("campaign", "create", "x", "--status", "in_progress")
    assert code == 2 and "needs a course" in out
    code, out = invoke("campaign", "create", "x", "--template", "custom")
    assert code == 2 and "needs a text" in out
    code, out = invoke("campaign", "create", "x", "--course", "c", "--schedule", "someday")
    assert code == 2
