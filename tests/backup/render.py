"""Print what a user sees (the incident list page and the API's incident list) as JSON, for the database
in DATABASE_URL: `python -m tests.backup.render USERNAME`. The backup test runs it against the original
and the restored database and compares the two."""

import json
import os
import re
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsx.settings.test")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from teams.models import User  # noqa: E402

setup_test_environment()
client = Client()
client.force_login(User.objects.get(username=sys.argv[1]))
page = client.get("/incidents/").content.decode()
page = re.sub(r"[A-Za-z0-9]{64}", "", page)  # CSRF tokens differ per session
api = client.get("/api/v1/incidents/").json()
print(json.dumps({"page": page, "api": api}))
