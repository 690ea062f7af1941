from django.urls import path

from teams import sso

# The names are mozilla-django-oidc's, which its views reverse.
urlpatterns = [
    path("authenticate/", sso.authenticate_view, name="oidc_authentication_init"),
    path("callback/", sso.callback_view, name="oidc_authentication_callback"),
]
