// The simulated disk against real files: after a power cut, every file is
// as it was at its last sync (byte for byte, at the VFS level), and SQLite,
// reopened over that, finds exactly what it had made durable.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/simulated_disk.hpp"

using namespace broker::sim;
namespace fs = std::filesystem;

namespace {

struct scratch_dir {
  std::string path;
  scratch_dir() {
    std::string pattern = (fs::temp_directory_path() / "simulated_disk_test.XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~scratch_dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

struct connection {
  sqlite3* db = nullptr;
  connection(const std::string& file, const char* vfs,
             int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    int rc = sqlite3_open_v2(file.c_str(), &db, flags, vfs);
    INFO(file << " through " << (vfs ? vfs : "the default VFS") << ": " << sqlite3_errstr(rc));
    REQUIRE(rc == SQLITE_OK);
  }
  ~connection() { close(); }
  // After a power cut, close errors (a failed checkpoint) are expected: ignored.
  void close() {
    sqlite3_close_v2(db);
    db = nullptr;
  }
  void exec(const std::string& sql) {
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    INFO(sql << ": " << (error ? error : ""));
    sqlite3_free(error);
    REQUIRE(rc == SQLITE_OK);
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    auto* t = sqlite3_column_text(st, 0);
    std::string out = t ? reinterpret_cast<const char*>(t) : "";
    sqlite3_finalize(st);
    return out;
  }
  int64_t number(const std::string& sql) { return std::stoll(text(sql)); }
  int64_t rows() { return number("SELECT count(*) FROM t"); }
  // The table's whole content, to compare states exactly.
  std::string content() {
    return text("SELECT count(*) || ':' || coalesce(group_concat(id || '=' || v, ','), '') "
                "FROM (SELECT id, v FROM t ORDER BY id)");
  }
  void insert(int n, const std::string& tag) {
    exec("BEGIN");
    for (int i = 0; i < n; ++i)
      exec("INSERT INTO t (v) VALUES ('" + tag + std::to_string(i) + "')");
    exec("COMMIT");
  }
};

void make_table(connection& c, const std::string& journal_mode, const std::string& synchronous) {
  c.exec("PRAGMA synchronous = " + synchronous);
  REQUIRE(c.text("PRAGMA journal_mode = " + journal_mode) == std::string(journal_mode == "WAL" ? "wal" : "delete"));
  c.exec("PRAGMA wal_autocheckpoint = 100000"); // no checkpoint unless asked for
  c.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One file opened straight through a VFS, as SQLite would.
struct raw_file {
  std::vector<std::max_align_t> memory;
  sqlite3_file* f = nullptr;
  raw_file(sqlite3_vfs* vfs, const char* name, int flags)
    : memory(static_cast<size_t>(vfs->szOsFile) / sizeof(std::max_align_t) + 1) {
    f = reinterpret_cast<sqlite3_file*>(memory.data());
    int out = 0;
    REQUIRE(vfs->xOpen(vfs, name, f, flags, &out) == SQLITE_OK);
    REQUIRE(f->pMethods != nullptr);
  }
  ~raw_file() { close(); }
  void close() {
    if (f)
      f->pMethods->xClose(f);
    f = nullptr;
  }
  void write(const std::string& bytes, int64_t at) {
    REQUIRE(f->pMethods->xWrite(f, bytes.data(), static_cast<int>(bytes.size()), at) == SQLITE_OK);
  }
  std::string read(int64_t at, int n) {
    std::string out(static_cast<size_t>(n), '\0');
    REQUIRE(f->pMethods->xRead(f, out.data(), n, at) == SQLITE_OK);
    return out;
  }
  void truncate(int64_t size) { REQUIRE(f->pMethods->xTruncate(f, size) == SQLITE_OK); }
  void sync() { REQUIRE(f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) == SQLITE_OK); }
  int64_t size() {
    sqlite3_int64 n = 0;
    REQUIRE(f->pMethods->xFileSize(f, &n) == SQLITE_OK);
    return n;
  }
};

} // namespace

TEST_CASE("simulated disk: a power cut puts every byte back as at the last sync", "[simulated_disk]") {
  scratch_dir dir;
  simulated_disk disk{"simdisk-bytes"};
  sqlite3_vfs* vfs = sqlite3_vfs_find(disk.vfs_name());
  REQUIRE(vfs != nullptr);
  REQUIRE(sqlite3_vfs_find(nullptr) != vfs); // never the default
  const std::string path = dir.path + "/bytes.db";
  const char* name = sqlite3_create_filename(path.c_str(), (path + "-journal").c_str(),
                                       (path + "-wal").c_str(), 0, nullptr);
  REQUIRE(name != nullptr);
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MAIN_DB;

  std::mt19937 rng(20240611);
  auto below = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto random_bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (auto& c : s)
      c = static_cast<char>('a' + below(26));
    return s;
  };
  std::string now;    // what the file holds
  std::string synced; // what it held at its last sync
  bool exists_synced = false;

  for (int cycle = 0; cycle < 8; ++cycle) {
    INFO("power cycle " << cycle);
    raw_file one{vfs, name, flags};
    raw_file two{vfs, name, flags}; // a second handle on the same path shares its undo log
    raw_file* handles[] = {&one, &two};
    // Cycle 0 never syncs: the file it creates must be gone after the cut.
    int ops = cycle == 0 ? 50 : 400;
    for (int op = 0; op < ops; ++op) {
      raw_file& h = *handles[below(2)];
      size_t kind = below(10);
      if (kind < 6) { // small writes at any offset, past the end too (a hole reads as zeros)
        size_t at = below(now.size() + 300);
        std::string bytes = random_bytes(1 + below(kind == 0 ? 5000 : 300));
        h.write(bytes, static_cast<int64_t>(at));
        if (now.size() < at + bytes.size())
          now.resize(at + bytes.size(), '\0');
        now.replace(at, bytes.size(), bytes);
      } else if (kind == 6) {
        size_t size = below(now.size() + 1);
        h.truncate(static_cast<int64_t>(size));
        now.resize(size);
      } else if (kind == 7 && cycle > 0) {
        h.sync();
        synced = now;
        exists_synced = true;
      } else if (!now.empty()) {
        size_t at = below(now.size());
        size_t n = 1 + below(now.size() - at);
        REQUIRE(h.read(static_cast<int64_t>(at), static_cast<int>(n)) == now.substr(at, n));
        REQUIRE(h.size() == static_cast<int64_t>(now.size()));
      }
    }
    auto before = disk.stats();
    disk.power_off();
    CHECK_FALSE(disk.powered());
    // What the dying process still does never lands; reads see the file as it was.
    one.write("lost", 0);
    two.truncate(1);
    one.sync();
    CHECK(two.size() == static_cast<int64_t>(now.size()));
    if (!now.empty())
      CHECK(one.read(0, static_cast<int>(now.size())) == now);
    CHECK(vfs->xDelete(vfs, path.c_str(), 0) == SQLITE_OK);
    CHECK(fs::exists(path));
    CHECK_THROWS_AS(disk.power_on(), std::logic_error); // handles still open
    one.close();
    two.close();
    disk.power_on();
    CHECK(disk.powered());
    auto after = disk.stats();
    CHECK(after.syncs == before.syncs); // the sync while off did not count
    CHECK(after.writes_lost > before.writes_lost);
    CHECK(after.bytes_lost > before.bytes_lost);
    if (exists_synced) {
      REQUIRE(fs::exists(path));
      CHECK(bytes_of(path) == synced);
    } else {
      CHECK_FALSE(fs::exists(path));
    }
    if (now != synced || !exists_synced)
      CHECK(after.files_restored == before.files_restored + 1);
    now = synced;
  }
  sqlite3_free_filename(name);
}

TEST_CASE("simulated disk: rows committed under synchronous=FULL survive a power cut", "[simulated_disk]") {
  auto mode = GENERATE(as<std::string>{}, "DELETE", "WAL");
  INFO("journal_mode " << mode);
  scratch_dir dir;
  simulated_disk disk{"simdisk-full"};
  const std::string file = dir.path + "/broker.db";
  std::string durable;
  {
    connection c{file, disk.vfs_name()};
    make_table(c, mode, "FULL");
    for (int batch = 0; batch < 10; ++batch)
      c.insert(20, "committed-" + std::to_string(batch) + "-");
    durable = c.content();
    // A large transaction in flight at the cut: a small cache spills its pages
    // (to the database after syncing the journal, or to the WAL) before commit.
    c.exec("PRAGMA cache_size = 5");
    c.exec("BEGIN");
    for (int i = 0; i < 400; ++i)
      c.exec("INSERT INTO t (v) VALUES (hex(randomblob(500)))");
    CHECK(c.rows() == 600);
    disk.power_off();
    c.close();
  }
  auto before = disk.stats();
  CHECK(before.syncs > 0);
  disk.power_on();
  auto after = disk.stats();
  CHECK(after.writes_lost > before.writes_lost); // the spilled pages
  CHECK(after.files_restored > before.files_restored);

  SECTION("reopened through the simulated disk") {
    connection c{file, disk.vfs_name()};
    CHECK(c.content() == durable);
    CHECK(c.text("PRAGMA integrity_check") == "ok");
  }
  SECTION("reopened through the plain default VFS") {
    connection c{file, nullptr};
    CHECK(c.content() == durable);
    CHECK(c.text("PRAGMA integrity_check") == "ok");
  }
}

TEST_CASE("simulated disk: WAL commits under synchronous=NORMAL since the last sync are lost", "[simulated_disk]") {
  scratch_dir dir;
  simulated_disk disk{"simdisk-normal"};
  const std::string file = dir.path + "/broker.db";
  std::string durable;
  {
    connection c{file, disk.vfs_name()};
    make_table(c, "WAL", "NORMAL");
    for (int batch = 0; batch < 5; ++batch)
      c.insert(30, "durable-" + std::to_string(batch) + "-");
    c.exec("PRAGMA wal_checkpoint(FULL)"); // syncs the WAL, then the database
    durable = c.content();
    // The WAL starts over on the next commit, overwriting synced frames.
    for (int batch = 0; batch < 5; ++batch)
      c.insert(30, "lost-" + std::to_string(batch) + "-");
    CHECK(c.rows() == 300);
    disk.power_off();
    c.close();
  }
  disk.power_on();
  CHECK(disk.stats().writes_lost > 0);
  CHECK(disk.stats().files_restored > 0);
  connection c{file, disk.vfs_name()};
  CHECK(c.rows() == 150);
  CHECK(c.content() == durable);
  CHECK(c.number("SELECT count(*) FROM t WHERE v LIKE 'lost-%'") == 0);
  CHECK(c.text("PRAGMA integrity_check") == "ok");
}

TEST_CASE("simulated disk: a writer and a reader on one WAL, cut together", "[simulated_disk]") {
  scratch_dir dir;
  simulated_disk disk{"simdisk-two"};
  const std::string file = dir.path + "/broker.db";
  std::string durable;
  {
    connection writer{file, disk.vfs_name()};
    make_table(writer, "WAL", "FULL");
    writer.insert(40, "checkpointed-");
    writer.exec("PRAGMA wal_checkpoint(FULL)");
    connection reader{file, disk.vfs_name(), SQLITE_OPEN_READONLY};
    // Synced in the WAL, never checkpointed: recovery has to find these frames.
    writer.insert(40, "in-wal-");
    durable = writer.content();
    CHECK(reader.content() == durable);
    writer.exec("PRAGMA synchronous = NORMAL");
    writer.insert(40, "lost-");
    CHECK(reader.rows() == 120);
    disk.power_off();
    CHECK_THROWS_AS(disk.power_on(), std::logic_error); // both still open
    reader.close();
    writer.close();
  }
  disk.power_on();
  CHECK(disk.stats().files_restored > 0);
  connection reader{file, disk.vfs_name(), SQLITE_OPEN_READONLY};
  CHECK(reader.content() == durable);
  connection writer{file, disk.vfs_name()};
  CHECK(writer.rows() == 80);
  CHECK(writer.text("PRAGMA integrity_check") == "ok");
  writer.insert(5, "after-");
  CHECK(reader.rows() == 85);
}

TEST_CASE("simulated disk: a database never synced is gone after the cut", "[simulated_disk]") {
  scratch_dir dir;
  simulated_disk disk{"simdisk-never"};
  const std::string file = dir.path + "/new.db";
  {
    connection c{file, disk.vfs_name()};
    make_table(c, "DELETE", "OFF"); // OFF: SQLite never syncs
    c.insert(10, "unsynced-");
    CHECK(fs::file_size(file) > 0);
    disk.power_off();
    c.close();
  }
  CHECK(fs::exists(file));
  disk.power_on();
  CHECK_FALSE(fs::exists(file)); // removed, not left empty
  CHECK(disk.stats().files_restored == 1);
  connection c{file, disk.vfs_name()};
  CHECK(c.number("SELECT count(*) FROM sqlite_master") == 0);
}

TEST_CASE("simulated disk: power cycles repeat", "[simulated_disk]") {
  scratch_dir dir;
  simulated_disk disk{"simdisk-cycles"};
  const std::string file = dir.path + "/broker.db";
  int64_t durable = 0;
  disk_stats last;
  for (int cycle = 0; cycle < 4; ++cycle) {
    INFO("power cycle " << cycle);
    {
      connection c{file, disk.vfs_name()};
      make_table(c, "WAL", "NORMAL");
      CHECK(c.rows() == durable);
      CHECK(c.text("PRAGMA integrity_check") == "ok");
      c.insert(10, "kept-" + std::to_string(cycle) + "-");
      c.exec("PRAGMA wal_checkpoint(FULL)");
      durable += 10;
      c.insert(7, "lost-" + std::to_string(cycle) + "-");
      CHECK(c.rows() == durable + 7);
      disk.power_off();
      c.close();
    }
    disk.power_on();
    auto now = disk.stats();
    CHECK(now.syncs > last.syncs);
    CHECK(now.writes > last.writes);
    CHECK(now.writes_lost > last.writes_lost);
    CHECK(now.files_restored > last.files_restored);
    last = now;
  }
  connection c{file, nullptr};
  CHECK(c.rows() == durable);
  CHECK(c.number("SELECT count(*) FROM t WHERE v LIKE 'lost-%'") == 0);
  CHECK(c.text("PRAGMA integrity_check") == "ok");
}

TEST_CASE("simulated disk: with nothing unsynced, a power cut changes nothing", "[simulated_disk]") {
  scratch_dir dir;
  simulated_disk disk{"simdisk-clean"};
  const std::string file = dir.path + "/broker.db";

  SECTION("WAL under FULL, cut with the connection open") {
    std::string db, wal;
    {
      connection c{file, disk.vfs_name()};
      make_table(c, "WAL", "FULL");
      c.insert(50, "synced-");
      db = bytes_of(file);
      wal = bytes_of(file + "-wal");
      disk.power_off();
      c.close(); // its checkpoint and WAL delete are discarded
    }
    disk.power_on();
    CHECK(disk.stats().files_restored == 0);
    CHECK(bytes_of(file) == db);
    CHECK(bytes_of(file + "-wal") == wal);
    connection c{file, disk.vfs_name()};
    CHECK(c.rows() == 50);
  }
  SECTION("rollback journal, closed before the cut") {
    {
      connection c{file, disk.vfs_name()};
      make_table(c, "DELETE", "FULL");
      c.insert(50, "synced-");
    }
    auto db = bytes_of(file);
    CHECK_FALSE(fs::exists(file + "-journal"));
    disk.power_off();
    disk.power_on();
    CHECK(disk.stats().files_restored == 0);
    CHECK(disk.stats().writes_lost == 0);
    CHECK(bytes_of(file) == db);
  }
  SECTION("power_on without a power cut does nothing") {
    {
      connection c{file, disk.vfs_name()};
      make_table(c, "WAL", "NORMAL");
      c.insert(5, "unsynced-");
      disk.power_on(); // the power was never off: no-op, even with files open
      CHECK(c.rows() == 5);
    }
    CHECK(disk.stats().files_restored == 0);
  }
}

TEST_CASE("simulated disk: a second VFS of the same name is refused", "[simulated_disk]") {
  simulated_disk disk{"simdisk-unique"};
  CHECK_THROWS_AS(simulated_disk{"simdisk-unique"}, std::invalid_argument);
  CHECK(sqlite3_vfs_find("simdisk-unique") != nullptr);
}
