"""sha256 becomes unique per owner: uploads are idempotent.

Servers from before this migration may hold the same bytes twice for one owner. The oldest
row of each such group is kept (it is the photo the owner first got an id for); the newer
duplicates and their stored files are removed so the constraint can be added.
"""

from django.db import migrations, models, transaction
from django.db.models import Count


def drop_duplicate_uploads(apps, schema_editor):
    from django.core.files.storage import storages

    photo_model = apps.get_model("photos", "Photo")
    groups = (photo_model.objects.values("owner_id", "sha256")
              .annotate(copies=Count("id")).filter(copies__gt=1))
    names = []
    for group in groups:
        rows = photo_model.objects.filter(owner_id=group["owner_id"], sha256=group["sha256"])
        for duplicate in rows.order_by("created_at", "id")[1:]:
            names.append(duplicate.image.name)
            duplicate.delete()

    def delete_files() -> None:
        # Only once the rows are gone for good: a failed migration keeps rows and files.
        storage = storages["default"]
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_files, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(drop_duplicate_uploads, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="photo", name="photo_owner_sha256"),
        migrations.AddConstraint(
            model_name="photo",
            constraint=models.UniqueConstraint(
                fields=("owner", "sha256"), name="photo_owner_sha256_unique"
            ),
        ),
    ]
