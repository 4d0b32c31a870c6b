"""keep total and total_new of orders in step with a trigger

sqlsafe plan change-type: step 2 of 8.
Locks: SHARE ROW EXCLUSIVE on orders for an instant (writes wait, reads go on); from
then on the trigger runs in every INSERT and UPDATE
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: 3cc19dce3e04
Revises: 2ef39e2aa225Create Date: 2026-12-02 15:17:32
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '3cc19dce3e04'
down_revision = '2ef39e2aa225'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute("""-- Keeps total and total_new in step on every write until the contract release drops it:
-- code that writes only total fills total_new too, and code that writes only total_new
-- fills total, so the releases before and after the switch can run side by side.
CREATE OR REPLACE FUNCTION orders_total_new_sync() RETURNS trigger LANGUAGE plpgsql AS $sqlsafe$
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
$sqlsafe$;""")
    op.execute("""-- sqlsafe: ignore create-trigger-on-existing-table -- the sync trigger is the point of this step: cheap, and lock_timeout is set
CREATE TRIGGER orders_total_new_sync BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_total_new_sync();""")


def downgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute('DROP TRIGGER IF EXISTS orders_total_new_sync ON orders;')
    op.execute('DROP FUNCTION IF EXISTS orders_total_new_sync();')
