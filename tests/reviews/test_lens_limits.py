"""Hostile lens files: YAML anchors and aliases are refused, every format has a size cap, and no error
repeats the document. On each path: the reader, the service, the API, the page and the command."""

import time
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape

from reviews import lensfile, services
from reviews.models import Lens
from tests.factories import make_lens_yaml

pytestmark = pytest.mark.django_db

# The classic "billion laughs": 595 bytes here, gigabytes once every alias is expanded.
BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    + ["name: *i", "format: opsx-lens/v1"]
)
ALIASES = "anchors and aliases (&name, *name) are not allowed"


def test_the_bomb_is_small():
    assert len(BOMB) < 700


def test_reader_refuses_aliases_at_once_and_quotes_nothing():
    started = time.monotonic()
    with pytest.raises(lensfile.LensFormatError) as caught:
        lensfile.load(BOMB, filename="bomb.yaml")
    assert time.monotonic() - started < 1
    message = str(caught.value)
    assert message == f"line 1, column 4: invalid YAML: {ALIASES}"
    assert "lol" not in message


def test_a_single_alias_in_an_otherwise_good_lens_is_refused():
    text = make_lens_yaml(name="Aliased").replace("description: A lens for tests.", "description: &d A lens.", 1)
    text += "\nextra: *d\n"
    with pytest.raises(lensfile.LensFormatError, match="anchors and aliases"):
        lensfile.load(text, filename="x.yaml")


@pytest.mark.parametrize("filename", ["big.yaml", "big.json"])
def test_every_format_has_a_size_cap_and_reads_nothing_of_a_bigger_file(filename):
    data = b"#" * (lensfile.MAX_FILE_BYTES + 1) if filename.endswith("yaml") else b" " * (lensfile.MAX_FILE_BYTES + 1)
    with pytest.raises(lensfile.LensFormatError) as caught:
        lensfile.load(data, filename=filename)
    assert str(caught.value) == "file is 512,001 bytes; the limit is 512,000 (500 KiB)"


def test_long_values_are_cut_in_messages():
    text = make_lens_yaml(name="Long").replace("format: opsx-lens/v1", "format: " + "x" * 5000, 1)
    with pytest.raises(lensfile.LensFormatError) as caught:
        lensfile.load(text, filename="long.yaml")
    assert len(str(caught.value)) < 400 and str(caught.value).endswith("…")


def test_service_saves_nothing(admin_user):
    with pytest.raises(lensfile.LensFormatError):
        services.lens_import(data=BOMB, actor=admin_user, filename="bomb.yaml")
    assert not Lens.objects.exclude(builtin=True).exists()


def test_api_refuses_the_bomb_with_400_and_a_large_file_with_413(api_as, admin_user):
    client = api_as(admin_user)
    bomb = client.post(
        "/api/v1/lenses/upload/", {"file": SimpleUploadedFile("b.yaml", BOMB.encode())}, format="multipart"
    )
    assert bomb.status_code == 400
    assert bomb.json()["error"]["fields"] == {"file": [f"line 1, column 4: invalid YAML: {ALIASES}"]}
    big = SimpleUploadedFile("big.yaml", b"#" * (lensfile.MAX_FILE_BYTES + 1))
    response = client.post("/api/v1/lenses/upload/", {"file": big}, format="multipart")
    assert response.status_code == 413
    assert response.json()["error"] == {
        "status": 413,
        "code": "too_large",
        "message": "file is 512,001 bytes; the limit is 512,000 (500 KiB)",
    }
    assert not Lens.objects.exclude(builtin=True).exists()


def test_page_refuses_both_with_a_form_error(client_as, admin_user):
    client = client_as(admin_user)
    url = reverse("reviews:lens-upload")
    bomb = client.post(url, {"file": SimpleUploadedFile("b.yaml", BOMB.encode())})
    body = bomb.content.decode()
    assert bomb.status_code == 400 and escape(ALIASES) in body and "lol" not in body
    big = client.post(url, {"file": SimpleUploadedFile("big.json", b" " * (lensfile.MAX_FILE_BYTES + 1))})
    assert big.status_code == 413 and "the limit is 512,000 (500 KiB)" in big.content.decode()
    assert not Lens.objects.exclude(builtin=True).exists()


def test_command_refuses_both(tmp_path):
    (tmp_path / "bomb.yaml").write_text(BOMB)
    (tmp_path / "big.yaml").write_bytes(b"#" * (lensfile.MAX_FILE_BYTES + 1))
    for name, expected in [("bomb.yaml", ALIASES), ("big.yaml", "the limit is 512,000")]:
        with pytest.raises(CommandError) as caught:
            call_command("import_lens", str(tmp_path / name), stdout=StringIO(), stderr=StringIO())
        assert expected in str(caught.value) and "lol" not in str(caught.value)
    assert not Lens.objects.exclude(builtin=True).exists()
