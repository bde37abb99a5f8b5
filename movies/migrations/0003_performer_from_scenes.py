# Performer moves from the scenes app to movies, the lower media app both kinds build on (issue #16: imports flow one
# way). State only: the table keeps its name (scenes_performer), its rows, ids and every foreign key into it.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def _content_type_to(app_label: str):
    """Move the performer's content type (and with it the admin permissions and log entries) to ``app_label``."""
    other = "scenes" if app_label == "movies" else "movies"

    def move(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        if not content_type.objects.filter(app_label=app_label, model="performer").exists():
            content_type.objects.filter(app_label=other, model="performer").update(app_label=app_label)

    return move


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('movies', '0002_locked_fields'),
        ('scenes', '0003_locked_fields'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Performer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('tpdb_id', models.UUIDField(help_text='TPDB uuid', unique=True)),
                        ('tpdb_numeric_id', models.BigIntegerField(blank=True, db_index=True, help_text='TPDB _id / id', null=True)),
                        ('fetched_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('is_complete', models.BooleanField(default=False, help_text='Stored from a detail response, not a search item')),
                        ('is_missing_upstream', models.BooleanField(db_index=True, default=False, help_text='TPDB answered 404 on the last refresh; the last good data is kept')),
                        ('slug', models.CharField(blank=True, max_length=255)),
                        ('name', models.CharField(db_index=True, max_length=255)),
                        ('disambiguation', models.CharField(blank=True, max_length=255)),
                        ('gender', models.CharField(blank=True, max_length=32)),
                        ('birthdate', models.DateField(blank=True, null=True)),
                        ('height', models.CharField(blank=True, max_length=32)),
                        ('weight', models.CharField(blank=True, max_length=32)),
                        ('aliases', models.JSONField(blank=True, default=list)),
                        ('image_url', models.URLField(blank=True, max_length=1000)),
                        ('thumbnail_url', models.URLField(blank=True, max_length=1000)),
                        ('face_url', models.URLField(blank=True, max_length=1000)),
                        ('is_parent', models.BooleanField(default=False)),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='credits', to='movies.performer')),
                    ],
                    options={
                        'db_table': 'scenes_performer',
                        'ordering': ('name',),
                    },
                ),
                migrations.AlterField(
                    model_name='movieperformer',
                    name='performer',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='movie_credits', to='movies.performer'),
                ),
                migrations.AlterField(
                    model_name='movie',
                    name='performers',
                    field=models.ManyToManyField(related_name='movies', through='movies.MoviePerformer', to='movies.performer'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(_content_type_to("movies"), _content_type_to("scenes"), elidable=False),
    ]
