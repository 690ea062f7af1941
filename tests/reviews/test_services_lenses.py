"""Importing lenses through the service: both formats, errors, idempotence, versions, round trips."""

import pytest
from django.core.exceptions import PermissionDenied

from reviews import lensfile, services
from reviews.lens_cache import lens_of
from reviews.models import Lens, LensVersion
from tests.factories import WILD_LENS_WARNINGS, make_lens_yaml, make_wild_aws_lens
from tests.shared_data import SHARED_LENS_FILES, needs_shared_lenses


@pytest.mark.django_db
def test_import_yaml_creates_lens_and_first_version():
    result = services.lens_import(data=make_lens_yaml(name="Fresh Lens", questions=7), actor=None, fmt="yaml")
    assert result.outcome == "created"
    assert result.lens.slug == "fresh-lens"
    assert result.version.number == 1
    assert result.version.question_count == 7
    assert result.version.fingerprint == lensfile.load(make_lens_yaml(name="Fresh Lens", questions=7)).fingerprint()


@pytest.mark.django_db
def test_identical_reimport_changes_nothing():
    services.lens_import(data=make_lens_yaml(name="Same"), actor=None)
    before = LensVersion.objects.count()
    result = services.lens_import(data=make_lens_yaml(name="Same"), actor=None)
    assert result.outcome == "unchanged"
    assert LensVersion.objects.count() == before
    assert result.version.number == 1


@pytest.mark.django_db
def test_changed_lens_under_same_name_is_a_new_version():
    services.lens_import(data=make_lens_yaml(name="Growing", questions=3), actor=None)
    result = services.lens_import(data=make_lens_yaml(name="Growing", questions=4), actor=None)
    assert result.outcome == "new version"
    assert result.version.number == 2
    assert list(result.lens.versions.values_list("number", flat=True).order_by("number")) == [1, 2]
    assert Lens.objects.filter(name="Growing").count() == 1


@pytest.mark.django_db
def test_invalid_file_names_the_field_path_and_saves_nothing():
    text = make_lens_yaml(name="Broken").replace("condition: q000_a && q000_b", "condition: q000_a && nope_x")
    lenses, versions = Lens.objects.count(), LensVersion.objects.count()
    with pytest.raises(lensfile.LensFormatError) as exc:
        services.lens_import(data=text, actor=None, fmt="yaml")
    assert "pillars[0].questions[0].risk_rules[0].condition: unknown choice id 'nope_x'" in str(exc.value)
    assert (Lens.objects.count(), LensVersion.objects.count()) == (lenses, versions)


@pytest.mark.django_db
@pytest.mark.parametrize("path", SHARED_LENS_FILES, ids=lambda p: p.name)
def test_import_real_aws_lenses_and_round_trip(path):
    data = path.read_bytes()
    result = services.lens_import(data=data, actor=None, filename=path.name)
    assert result.outcome == "created"
    assert result.version.question_count > 0
    for fmt in ("aws", "yaml"):
        exported = services.lens_export(version=result.version, fmt=fmt)
        again = services.lens_import(data=exported, actor=None, fmt=fmt)
        assert again.outcome == "unchanged", fmt
        assert again.version.pk == result.version.pk


@needs_shared_lenses
@pytest.mark.django_db
def test_invalid_aws_file_error_path():
    path = SHARED_LENS_FILES[0]
    import json

    doc = json.loads(path.read_text())
    doc["pillars"][0]["questions"][0]["riskRules"][0]["condition"] = "not_a_choice_id"
    with pytest.raises(lensfile.LensFormatError) as exc:
        services.lens_import(data=json.dumps(doc), actor=None, fmt="aws")
    assert "pillars[0].questions[0].riskRules[0].condition: unknown choice id 'not_a_choice_id'" in str(exc.value)


@pytest.mark.django_db
def test_builtin_lens_is_loaded_and_reimport_is_idempotent():
    lens = Lens.objects.get(slug="operational-readiness")
    assert lens.builtin
    assert lens.versions.get().question_count >= 25
    assert services.lens_import_builtin().outcome == "unchanged"


@pytest.mark.django_db
def test_lens_from_the_wild_imports_with_one_warning_per_repair_and_round_trips_exactly():
    result = services.lens_import(data=make_wild_aws_lens(), actor=None, filename="wild.json")
    assert (result.outcome, result.warnings) == ("created", WILD_LENS_WARNINGS)
    lens = lens_of(result.version)
    assert lens.question("wild_q2").title == "NaN"
    assert lens.question("wild_q2").choices[0].description == "Everyone knows who is on call."
    assert lens.question("wild_q2").choices[1].is_none_of_these
    assert lensfile.evaluate(lens.question("wild_q1"), ["wild_q1_a"]) == lensfile.Risk.NO_RISK  # no rule matches
    exported = services.lens_export(version=result.version, fmt="aws")
    again = services.lens_import(data=exported, actor=None, filename="again.json")
    assert (again.outcome, again.version.pk) == ("unchanged", result.version.pk)


@pytest.mark.django_db
def test_strict_import_refuses_a_file_that_needs_repairs_and_saves_nothing():
    with pytest.raises(lensfile.LensFormatError) as exc:
        services.lens_import(data=make_wild_aws_lens(), actor=None, filename="wild.json", strict=True)
    lines = str(exc.value).splitlines()
    assert len(lines) == len(WILD_LENS_WARNINGS)
    assert lines[0] == "_release_note: unknown key (a strict import refuses this)"
    assert not Lens.objects.filter(name="Wild Lens").exists()
    clean = services.lens_import(data=make_lens_yaml(name="Clean"), actor=None, strict=True)
    assert clean.outcome == "created"


@pytest.mark.django_db
def test_import_by_a_person_needs_a_lead_or_admin(owner, teammate):
    with pytest.raises(PermissionDenied):
        services.lens_import(data=make_lens_yaml(name="Not Yours"), actor=teammate)
    assert not Lens.objects.filter(name="Not Yours").exists()
    assert services.lens_import(data=make_lens_yaml(name="Lead's"), actor=owner).outcome == "created"
