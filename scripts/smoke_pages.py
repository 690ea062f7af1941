"""Signs in as a demo user and checks that the main pages load (used by scripts/smoke.sh)."""

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

PAGES = [
    "/",
    "/teams/",
    "/teams/payments/",
    "/services/",
    "/services/checkout-api/",
    "/incidents/",
    "/incidents/1/",
    "/history/incidents.incident/1/",
    "/postmortems/",
    "/postmortems/1/",
    "/actions/",
    "/actions/mine/",
    "/reviews/",
    "/reviews/lenses/",
    "/library/",
    "/library/for-you/",
    "/notifications/",
    "/dashboards/",
    "/dashboards/?period=365d&tier=1",
    "/dashboards/teams/payments/",
    "/dashboards/services/checkout-api/",
    "/dashboards/definitions/",
    "/dashboards/export/breakdown.csv",
    "/api/v1/metrics/",
    "/api/v1/teams/",
    "/api/v1/incidents/",
    "/api/v1/reviews/",
    "/api/v1/library/?q=certificate",
    "/api/v1/notifications/",
    "/api/docs/",
]


def sign_in(base: str, username: str) -> tuple[urllib.request.OpenerDirector, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode({"username": username, "password": "opsx-demo", "csrfmiddlewaretoken": token})
    request = urllib.request.Request(f"{base}/accounts/login/", data=data.encode(), headers={"Referer": base})
    return opener, opener.open(request).read().decode()


def main(base: str) -> int:
    opener, home = sign_in(base, "alice")
    if "Sign out" not in home:
        print("smoke: login failed")
        return 1
    failures = 0
    for path in PAGES:
        try:
            status = opener.open(base + path).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        ok = status == 200
        failures += not ok
        print(f"smoke: {path} {status}{'' if ok else '  <-- FAILED'}")
    _, leadership_home = sign_in(base, "erin")  # leadership's home page is the organization dashboard
    ok = "<h1>Organization dashboard</h1>" in leadership_home
    failures += not ok
    print(f"smoke: / as leadership shows the organization dashboard{'' if ok else '  <-- FAILED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
