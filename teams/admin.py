from axes.utils import reset as axes_reset
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from teams.models import ApiToken, Membership, System, Team, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "org_role", "is_active"]
    list_filter = ["org_role", "is_active", "is_superuser"]
    fieldsets = [*BaseUserAdmin.fieldsets, ("Organization", {"fields": ["org_role"]})]  # type: ignore[misc]
    actions = ["unlock_sign_in"]

    @admin.action(description="Unlock sign-in (forget failed sign-ins)", permissions=["change"])
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """After too many failed sign-ins an account is locked for LOGIN_LOCKOUT_MINUTES; this ends it now."""
        cleared = sum(axes_reset(username=user.username) for user in queryset)
        self.message_user(
            request, f"Unlocked {queryset.count()} account(s) ({cleared} failed sign-in record(s) cleared)."
        )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role"]
    list_filter = ["role", "team"]
    autocomplete_fields = ["user", "team"]


@admin.register(System)
class SystemAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "tier", "lifecycle"]
    list_filter = ["tier", "lifecycle", "team"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "key_prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    readonly_fields = ["key_prefix", "key_hash", "last_used_at"]
    list_filter = ["revoked_at"]
