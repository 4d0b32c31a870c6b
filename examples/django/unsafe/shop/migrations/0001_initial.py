from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("customer_id", models.BigIntegerField()),
                ("status", models.TextField()),
                ("total", models.IntegerField()),
                ("legacy_code", models.TextField(null=True)),
            ],
        ),
    ]
