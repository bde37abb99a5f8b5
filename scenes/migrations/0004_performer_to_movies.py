# Performer moved to the movies app (movies/0003_performer_from_scenes): scenes' credits now point at movies.Performer.
# State only: the table (scenes_performer), its rows and the foreign keys in the database stay as they are.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('movies', '0003_performer_from_scenes'),
        ('scenes', '0003_locked_fields'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='sceneperformer',
                    name='performer',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scene_credits', to='movies.performer'),
                ),
                migrations.AlterField(
                    model_name='scene',
                    name='performers',
                    field=models.ManyToManyField(related_name='scenes', through='scenes.ScenePerformer', to='movies.performer'),
                ),
                migrations.DeleteModel(
                    name='Performer',
                ),
            ],
            database_operations=[],
        ),
    ]
