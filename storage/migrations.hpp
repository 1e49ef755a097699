#pragma once
// The schema, as an append-only list of numbered migrations shared by every
// backend: SQLite runs sqlite_sql, PostgreSQL runs postgres_sql. A database
// records each version it has applied in schema_migrations; at start a backend
// applies only the missing ones, each in its own transaction.
//
// Rules for adding one: never edit or renumber a shipped migration; append a
// new version with both dialects; the SQL must be transactional (no VACUUM,
// no PRAGMA journal_mode) because the runner wraps it in BEGIN/COMMIT.
#include <vector>

namespace broker {

struct migration {
  int version;             // strictly increasing along the list, from 1
  const char* name;        // for humans reading schema_migrations
  const char* sqlite_sql;  // one or more ';'-separated statements
  const char* postgres_sql;
};

// The bookkeeping table itself is not a migration: it must exist before the
// runner can ask which migrations ran.
extern const char* const schema_migrations_sqlite_ddl;
extern const char* const schema_migrations_postgres_ddl;

const std::vector<migration>& all_migrations();

// The migrations of `all` that `applied` (versions a database has recorded)
// lacks, in list order. Throws store_error when `all` is not strictly
// increasing from 1, or when `applied` holds a version `all` doesn't know: the
// file was written by a newer build, and guessing at its schema is worse than
// refusing to start.
std::vector<const migration*> pending_migrations(const std::vector<migration>& all,
                                                 const std::vector<int>& applied);

} // namespace broker
