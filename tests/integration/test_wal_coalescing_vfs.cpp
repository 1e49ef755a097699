// The WAL-coalescing VFS against real files: a commit reaches the WAL in one
// write, what it wrote is what another connection reads, and transactions
// larger than its buffer (or than one write of the unix VFS) still commit.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "storage/wal_coalescing_vfs.hpp"

using namespace broker;

namespace {

struct scratch_dir {
  std::string path;
  scratch_dir() {
    char pattern[] = "/tmp/wal_vfs_test.XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~scratch_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

struct connection {
  sqlite3* db = nullptr;
  connection(const std::string& file, const char* vfs) {
    REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs)
            == SQLITE_OK);
  }
  ~connection() { sqlite3_close(db); }
  void exec(const std::string& sql) {
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    INFO(sql << ": " << (error ? error : ""));
    sqlite3_free(error);
    REQUIRE(rc == SQLITE_OK);
  }
  int64_t count(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
  }
};

void connect_as(connection& c) {
  c.exec("PRAGMA journal_mode = WAL");
  c.exec("PRAGMA synchronous = FULL");
  c.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
}

// A VFS that is the default one but counts the writes that reach WAL files:
// its xOpen swaps a WAL's method table for a copy whose xWrite counts.
int wal_writes = 0;
sqlite3_vfs* default_vfs = nullptr;
sqlite3_io_methods counting_methods{};
int (*default_write)(sqlite3_file*, const void*, int, sqlite3_int64) = nullptr;

int counting_write(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
  ++wal_writes;
  return default_write(f, buf, amount, offset);
}

int counting_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out) {
  int rc = default_vfs->xOpen(default_vfs, name, f, flags, out);
  if (rc == SQLITE_OK && f->pMethods && (flags & SQLITE_OPEN_WAL)) {
    counting_methods = *f->pMethods;
    default_write = f->pMethods->xWrite;
    counting_methods.xWrite = counting_write;
    f->pMethods = &counting_methods;
  }
  return rc;
}

// Registered once: "counting", and the coalescing VFS over it.
const char* coalescing_over_counting() {
  static const char* name = [] {
    default_vfs = sqlite3_vfs_find(nullptr);
    static sqlite3_vfs counting = *default_vfs;
    counting.zName = "test-counting";
    counting.pNext = nullptr;
    counting.xOpen = counting_open;
    REQUIRE(sqlite3_vfs_register(&counting, 0) == SQLITE_OK);
    return register_wal_coalescing_vfs(&counting, "test-coalescing-over-counting");
  }();
  return name;
}

// WAL writes for 20 commits of 20 rows each on a connection through `vfs`.
int writes_for_commits(const std::string& file, const char* vfs) {
  connection c{file, vfs};
  connect_as(c);
  int before = wal_writes;
  for (int batch = 0; batch < 20; ++batch) {
    c.exec("BEGIN IMMEDIATE");
    for (int i = 0; i < 20; ++i)
      c.exec("INSERT INTO t (v) VALUES ('" + std::string(300, 'q') + "')");
    c.exec("COMMIT");
  }
  return wal_writes - before;
}

} // namespace

TEST_CASE("coalescing VFS: committed rows are read back by a plain connection", "[sqlite_store][vfs]") {
  scratch_dir dir;
  auto file = dir.path + "/t.db";
  connection writer{file, wal_coalescing_vfs()};
  connect_as(writer);
  connection reader{file, nullptr};
  for (int batch = 0; batch < 50; ++batch) {
    writer.exec("BEGIN IMMEDIATE");
    for (int i = 0; i < 20; ++i)
      writer.exec("INSERT INTO t (v) VALUES ('" + std::string(100 + i, 'a' + batch % 26) + "')");
    writer.exec("COMMIT");
    // Each commit is whole, at once, for a connection that never saw the buffer.
    CHECK(reader.count("SELECT count(*) FROM t") == (batch + 1) * 20);
  }
  CHECK(reader.count("SELECT sum(length(v)) FROM t") == 50 * (20 * 100 + 190));
}

TEST_CASE("coalescing VFS: a transaction larger than the buffer commits whole", "[sqlite_store][vfs]") {
  scratch_dir dir;
  auto file = dir.path + "/t.db";
  {
    connection writer{file, wal_coalescing_vfs()};
    connect_as(writer);
    writer.exec("PRAGMA cache_size = 100"); // spill frames to the WAL mid-transaction
    writer.exec("BEGIN IMMEDIATE");
    // ~6 MiB of rows: past the 1 MiB buffer and the unix VFS's 128 KiB write.
    for (int i = 0; i < 30000; ++i)
      writer.exec("INSERT INTO t (v) VALUES ('" + std::string(200, 'x') + "')");
    // Rewrite pages written earlier in this same transaction.
    writer.exec("UPDATE t SET v = 'y' || substr(v, 2) WHERE id % 7 = 0");
    writer.exec("COMMIT");
    CHECK(writer.count("SELECT count(*) FROM t") == 30000);
  }
  // Reopened without it, the WAL replays to the same rows.
  connection plain{file, nullptr};
  CHECK(plain.count("SELECT count(*) FROM t") == 30000);
  CHECK(plain.count("SELECT count(*) FROM t WHERE v LIKE 'y%'") == 30000 / 7);
  CHECK(plain.count("PRAGMA integrity_check = 1") == 0); // "ok" reads as 0
}

TEST_CASE("coalescing VFS: a commit reaches the WAL in one write", "[sqlite_store][vfs]") {
  scratch_dir dir;
  auto coalescing = coalescing_over_counting();
  auto plain = writes_for_commits(dir.path + "/plain.db", "test-counting");
  auto coalesced = writes_for_commits(dir.path + "/coalesced.db", coalescing);
  INFO("WAL writes for 20 commits: plain " << plain << ", coalesced " << coalesced);
  // Each commit dirties several pages: two writes per page plainly, one in all coalesced.
  CHECK(plain >= 20 * 2 * 2);
  CHECK(coalesced == 20);
}
