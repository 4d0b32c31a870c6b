"""keep total and total_new of shop_order in step with a trigger

sqlsafe plan change-type: step 2 of 8.
Locks: SHARE ROW EXCLUSIVE on shop_order for an instant (writes wait, reads go on); from
then on the trigger runs in every INSERT and UPDATE
Runs in one transaction (Django wraps the migration in one).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ('shop', '0008_add_shop_order_total_new'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "SET LOCAL lock_timeout = '2s';",
                "SET LOCAL statement_timeout = '5s';",
                """-- Keeps total and total_new in step on every write until the contract release drops it:
-- code that writes only total fills total_new too, and code that writes only total_new
-- fills total, so the releases before and after the switch can run side by side.
CREATE OR REPLACE FUNCTION shop_order_total_new_sync() RETURNS trigger LANGUAGE plpgsql AS $sqlsafe$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.total_new IS NULL THEN
            NEW.total_new := CAST(NEW.total AS numeric(12, 2));
        ELSIF NEW.total IS NULL THEN
            NEW.total := NEW.total_new;
        END IF;
    ELSIF NEW.total IS DISTINCT FROM OLD.total AND NEW.total_new IS NOT DISTINCT FROM OLD.total_new THEN
        NEW.total_new := CAST(NEW.total AS numeric(12, 2));
    ELSIF NEW.total_new IS DISTINCT FROM OLD.total_new AND NEW.total IS NOT DISTINCT FROM OLD.total
          AND NEW.total_new IS DISTINCT FROM CAST(NEW.total AS numeric(12, 2)) THEN
        NEW.total := NEW.total_new;
    END IF;
    RETURN NEW;
END
$sqlsafe$;""",
                """-- sqlsafe: ignore create-trigger-on-existing-table -- the sync trigger is the point of this step: cheap, and lock_timeout is set
CREATE TRIGGER shop_order_total_new_sync BEFORE INSERT OR UPDATE ON shop_order
    FOR EACH ROW EXECUTE FUNCTION shop_order_total_new_sync();""",
            ],
            reverse_sql=[
                "SET LOCAL lock_timeout = '2s';",
                "SET LOCAL statement_timeout = '5s';",
                'DROP TRIGGER IF EXISTS shop_order_total_new_sync ON shop_order;',
                'DROP FUNCTION IF EXISTS shop_order_total_new_sync();',
            ],
        ),
    ]
