"""The hits alias (config/settings.py: the same database, commits not waiting for the disk) is
written by tracking.hits alone and is never migrated: it is the default database."""


class HitsRouter:
    def db_for_read(self, model, **hints):
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == "hits" else None
