"""A small Django project of the tests' own (used by test_django.py and bench).

Its settings would connect to a database that does not exist and need a secret from the
environment that is not set: sqlsafe must lint it without either.  Two apps with a
dependency across them (``orders`` depends on ``shop``), a squashed migration, the
operations whose SQL matters (AddField NOT NULL with and without a default, AddIndex,
AddIndexConcurrently in a non-atomic migration, RunSQL with reverse_sql, RunPython,
SeparateDatabaseAndState, AlterField, RemoveField of a foreign key) and a ``run_before``.
"""

from __future__ import annotations

from pathlib import Path

SETTINGS = """import os

SECRET_KEY = os.environ["SHOP_SECRET_KEY"]  # not set when sqlsafe runs
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "shop",
    "orders",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "production",
        "HOST": "db.invalid",
        "PORT": "5432",
        "USER": "app",
        "PASSWORD": os.environ.get("DB_PASSWORD", ""),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
"""

MANAGE = """#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

HEAD = "from django.db import migrations, models\n"

SHOP: dict[str, str] = {
    "0001_initial.py": HEAD
    + """

class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Product",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100)),
            ],
        ),
        migrations.CreateModel(
            name="Category",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("title", models.CharField(max_length=50)),
            ],
            options={"db_table": "catalog_category"},
        ),
    ]
""",
    "0002_product_price.py": HEAD
    + """

class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    run_before = [("orders", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="price",
            field=models.IntegerField(default=0),
        ),
        # sqlsafe: ignore add-not-null-column -- the table is empty in every environment
        migrations.AddField(
            model_name="category",
            name="slug",
            field=models.SlugField(),
            preserve_default=False,
        ),
    ]
""",
    "0003_product_sku.py": HEAD
    + """

class Migration(migrations.Migration):
    dependencies = [("shop", "0002_product_price")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="sku",
            field=models.CharField(max_length=20, null=True),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(fields=["sku"], name="shop_product_sku_idx"),
        ),
        migrations.AlterField(
            model_name="product",
            name="name",
            field=models.CharField(max_length=200),
        ),
    ]
""",
    "0004_product_name_index.py": """from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("shop", "0003_product_sku")]

    operations = [
        AddIndexConcurrently(
            model_name="product",
            index=models.Index(fields=["name"], name="shop_product_name_idx"),
        ),
    ]
""",
    "0005_backfill.py": HEAD
    + '''

def fill_sku(apps, schema_editor):
    Product = apps.get_model("shop", "Product")
    Product.objects.filter(sku__isnull=True).update(sku="none")


class Migration(migrations.Migration):
    dependencies = [("shop", "0004_product_name_index")]

    operations = [
        migrations.RunSQL(
            """
            ALTER TABLE shop_product
                ADD CONSTRAINT shop_product_price_positive CHECK (price >= 0);
            """,
            reverse_sql="ALTER TABLE shop_product DROP CONSTRAINT shop_product_price_positive;",
        ),
        migrations.RunPython(fill_sku, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="product",
                    name="stock",
                    field=models.IntegerField(null=True),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE shop_product ADD COLUMN stock integer;",
                    reverse_sql="ALTER TABLE shop_product DROP COLUMN stock;",
                ),
            ],
        ),
    ]
''',
}


def _order_model(replaces: str, extra_field: str = "") -> str:
    """orders' first migration (with the squashed one's ``replaces`` and field)."""
    return (
        HEAD
        + "import django.db.models.deletion\n\n\n"
        + "class Migration(migrations.Migration):\n"
        + replaces
        + """    initial = True

    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
"""
        + extra_field
        + """                (
                    "product",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, to="shop.product"
                    ),
                ),
            ],
        ),
    ]
"""
    )


ORDERS: dict[str, str] = {
    "0001_initial.py": _order_model(""),
    "0002_order_quantity.py": HEAD
    + """

class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="quantity",
            field=models.IntegerField(),
            preserve_default=False,
        ),
    ]
""",
    # the squash of 0001 and 0002, as `squashmigrations orders 0002` writes it
    "0001_squashed_0002_order_quantity.py": _order_model(
        '    replaces = [("orders", "0001_initial"), ("orders", "0002_order_quantity")]\n\n',
        '                ("quantity", models.IntegerField()),\n',
    ),
    "0003_remove_order_product.py": HEAD
    + """

class Migration(migrations.Migration):
    dependencies = [("orders", "0001_squashed_0002_order_quantity"), ("shop", "0005_backfill")]

    operations = [
        migrations.RemoveField(
            model_name="order",
            name="product",
        ),
        migrations.RenameField(
            model_name="order",
            old_name="quantity",
            new_name="amount",
        ),
    ]
""",
}


def write_project(root: Path) -> Path:
    """Write the project under *root*; its directory (the one with ``manage.py``)."""
    project = root / "project"
    (project / "proj").mkdir(parents=True)
    (project / "manage.py").write_text(MANAGE, encoding="utf-8")
    (project / "proj" / "__init__.py").write_text("", encoding="utf-8")
    (project / "proj" / "settings.py").write_text(SETTINGS, encoding="utf-8")
    for app, files in (("shop", SHOP), ("orders", ORDERS)):
        migrations = project / app / "migrations"
        migrations.mkdir(parents=True)
        (project / app / "__init__.py").write_text("", encoding="utf-8")
        (project / app / "models.py").write_text("", encoding="utf-8")
        (migrations / "__init__.py").write_text("", encoding="utf-8")
        for name, text in files.items():
            (migrations / name).write_text(text, encoding="utf-8")
    return project


def _step(app: str, model: str, k: int) -> str:
    """The operations of the k-th generated migration of *app* (a field added, indexed,
    altered, some SQL, and now and then a foreign key dropped)."""
    field = f"f{k}"
    kinds = (
        f'migrations.AddField(model_name="{model}", name="{field}", '
        "field=models.IntegerField(null=True))",
        f'migrations.AddField(model_name="{model}", name="{field}", '
        'field=models.CharField(max_length=20, default=""))',
        f'migrations.AddIndex(model_name="{model}", '
        f'index=models.Index(fields=["name"], name="{app}_{model}_{k}_idx"))',
        f'migrations.AlterField(model_name="{model}", name="name", '
        f"field=models.CharField(max_length={100 + k}))",
        f'migrations.RunSQL("UPDATE {app}_{model} SET name = name WHERE id < {k};", '
        "migrations.RunSQL.noop)",
    )
    return kinds[k % len(kinds)]


_SELF_FK = (
    'migrations.AddField(model_name="item", name="parent", field=models.ForeignKey('
    'null=True, on_delete=models.CASCADE, to="alpha.item"))'
)
_DROP_FK = 'migrations.RemoveField(model_name="item", name="parent")'


def write_long_project(root: Path, count: int, introspect: bool = False) -> Path:
    """A project of *count* migrations over two apps (``alpha`` and ``beta``, the latter
    depending on the former every tenth migration); its directory.  With *introspect*,
    alpha's last migration drops a foreign key (Django asks the database its name)."""
    project = root / "long"
    (project / "proj").mkdir(parents=True)
    (project / "manage.py").write_text(MANAGE, encoding="utf-8")
    (project / "proj" / "__init__.py").write_text("", encoding="utf-8")
    settings = SETTINGS.replace('"shop",\n    "orders",', '"alpha",\n    "beta",')
    (project / "proj" / "settings.py").write_text(settings, encoding="utf-8")
    per_app = {"alpha": count - count // 2, "beta": count // 2}
    for app, n in per_app.items():
        migrations = project / app / "migrations"
        migrations.mkdir(parents=True)
        for path in (project / app / "__init__.py", migrations / "__init__.py"):
            path.write_text("", encoding="utf-8")
        previous = ""
        for k in range(1, n + 1):
            name = f"{k:04d}_step"
            deps = [f'("{app}", "{previous}")'] if previous else []
            if app == "beta" and k % 10 == 1:
                deps.append(f'("alpha", "{min(k, per_app["alpha"]):04d}_step")')
            if k == 1:
                ops = (
                    'migrations.CreateModel(name="Item", fields=[("id", models.BigAutoField('
                    'primary_key=True, serialize=False)), ("name", models.CharField('
                    "max_length=100))])"
                )
            elif introspect and app == "alpha" and k >= n - 1:
                ops = _SELF_FK if k == n - 1 else _DROP_FK
            else:
                ops = _step(app, "item", k)
            text = (
                f"{HEAD}\n\nclass Migration(migrations.Migration):\n"
                f"    dependencies = [{', '.join(deps)}]\n\n"
                f"    operations = [\n        {ops},\n    ]\n"
            )
            (migrations / f"{name}.py").write_text(text, encoding="utf-8")
            previous = name
    return project
