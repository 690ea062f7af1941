from typing import Any

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class WorkerHeartbeat(models.Model):
    """A row a Celery worker writes when it runs the heartbeat task (see opsx.tasks)."""

    token = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"heartbeat {self.created_at:%Y-%m-%d %H:%M:%S}"


class MarkdownModel(models.Model):
    """A model with Markdown fields (`MARKDOWN_FIELDS`) whose sanitized HTML is stored when it is saved.

    `save()` renders the texts whose source changed (opsx.markdown.refresh_html) and adds
    `markdown_html` to `update_fields` when it changed; a conditional `QuerySet.update()` of these
    fields adds `**opsx.markdown.html_values(candidate)`. Templates read it with `|rendered:"field"`.
    """

    MARKDOWN_FIELDS: tuple[str, ...] = ()

    markdown_html = models.JSONField(
        default=dict, blank=True, editable=False, help_text="Sanitized HTML of the Markdown fields (derived data)."
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        from opsx.markdown import refresh_html

        update_fields = kwargs.get("update_fields")
        if refresh_html(self) and update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "markdown_html"}
        super().save(*args, **kwargs)

    @classmethod
    def rerender_markdown(cls, *, force: bool = False) -> tuple[int, int]:
        """Store fresh HTML for every row whose HTML is stale (all rows with `force`): (rows, changed)."""
        from opsx.markdown import rerender_rows

        return rerender_rows(cls, cls.MARKDOWN_FIELDS, force=force)
