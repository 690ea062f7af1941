from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from reviews.models import Lens, LensVersion
from tests.factories import WILD_LENS_WARNINGS, make_lens_yaml, make_wild_aws_lens
from tests.shared_data import SHARED_LENS_FILES, needs_shared_lenses

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_prints_created_new_version_unchanged(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(make_lens_yaml(name="Cmd Lens", questions=3))
    assert run("import_lens", str(path))[0].startswith("created: Cmd Lens (version 1, 3 questions)")
    assert run("import_lens", str(path))[0].startswith("unchanged: Cmd Lens (version 1")
    path.write_text(make_lens_yaml(name="Cmd Lens", questions=4))
    assert run("import_lens", str(path))[0].startswith("new version: Cmd Lens (version 2, 4 questions)")


def test_import_error_lists_paths_and_saves_nothing(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(make_lens_yaml(name="Bad Lens").replace("risk: HIGH_RISK", "risk: TERRIBLE", 1))
    with pytest.raises(CommandError) as exc:
        run("import_lens", str(path))
    assert "pillars[0].questions[0].risk_rules[2].risk" in str(exc.value)
    assert not Lens.objects.filter(name="Bad Lens").exists()


@pytest.mark.parametrize("fmt,suffix", [("yaml", "yaml"), ("aws", "json")])
def test_export_round_trips_through_import(tmp_path, fmt, suffix):
    out, _ = run("export_lens", "Operational Readiness", "--format", fmt)
    path = tmp_path / f"or.{suffix}"
    path.write_text(out)
    before = LensVersion.objects.count()
    assert run("import_lens", str(path))[0].startswith("unchanged: Operational Readiness")
    assert LensVersion.objects.count() == before


def test_export_to_file_and_unknown_name(tmp_path):
    target = tmp_path / "x.yaml"
    run("export_lens", "operational-readiness", "-o", str(target))
    assert target.read_text().startswith("format: opsx-lens/v1")
    with pytest.raises(CommandError, match="No lens named 'Nope'"):
        run("export_lens", "Nope")


def test_import_missing_file():
    with pytest.raises(CommandError, match="cannot read"):
        run("import_lens", str(Path("/nonexistent/lens.yaml")))


def test_reopen_lapsed_launches_lists_then_records_once(service, owner, outsider):
    from datetime import timedelta

    import time_machine

    from reviews.defaults import ensure_defaults
    from reviews.models import Decision
    from tests.factories import approve_with_accepted_risk, make_review

    ensure_defaults()
    review = make_review(system=service, questions=5, title="Payments launch")
    _, acceptance = approve_with_accepted_risk(review, lead=owner, outsider=outsider, days=2)
    with time_machine.travel(acceptance.expires_at + timedelta(minutes=1), tick=False):
        out, _ = run("reopen_lapsed_launches", "--dry-run")
        assert f"would reopen: review {review.pk} “Payments launch” (Checkout API)" in out
        assert not Decision.objects.filter(kind=Decision.Kind.REOPENED).exists()
        out, _ = run("reopen_lapsed_launches")
        assert f"reopened: review {review.pk}" in out and "1 launch(es) reopened." in out
        assert run("reopen_lapsed_launches")[0].strip() == "0 launch(es) reopened."
    assert Decision.objects.filter(kind=Decision.Kind.REOPENED).count() == 1


def test_import_repairs_a_lens_from_the_wild_and_strict_refuses_it(tmp_path):
    path = tmp_path / "wild.json"
    path.write_text(make_wild_aws_lens())
    with pytest.raises(CommandError) as exc:
        run("import_lens", str(path), "--strict")
    assert "_release_note: unknown key (a strict import refuses this)" in str(exc.value)
    assert not Lens.objects.filter(name="Wild Lens").exists()
    out, err = run("import_lens", str(path))
    assert out.startswith("created: Wild Lens (version 1, 2 questions; 7 warning(s) above)")
    assert err.splitlines() == [f"warning: {line}" for line in WILD_LENS_WARNINGS]
    exported = tmp_path / "exported.json"
    run("export_lens", "Wild Lens", "--format", "aws", "-o", str(exported))
    assert run("import_lens", str(exported))[0].startswith("unchanged: Wild Lens (version 1,")


@needs_shared_lenses
@pytest.mark.parametrize("path", SHARED_LENS_FILES, ids=lambda p: p.name)
def test_each_shared_lens_file_imports_with_its_warnings_and_round_trips(tmp_path, path):
    out, err = run("import_lens", str(path))
    assert out.startswith("created: ")
    warnings = err.splitlines()
    assert warnings and all(line.startswith("warning: ") for line in warnings)
    assert f"; {len(warnings)} warning(s) above)" in out
    name = out.removeprefix("created: ").split(" (version")[0]
    exported = tmp_path / "exported.json"
    run("export_lens", name, "--format", "aws", "-o", str(exported))
    assert run("import_lens", str(exported))[0].startswith(f"unchanged: {name} (version 1,")
