#pragma once
// broker::store on one SQLite file in WAL mode. Two connections: the writer
// (used by commit(), i.e. the persistence actor, and the operator console's
// writes) and a read-only reader (load(), executions_of() and every other
// read, any thread). WAL lets the reader see the last committed state while a
// commit is being written, so order-detail reads never wait for a commit's
// fsync.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace broker {

struct sqlite_options {
  // FULL: a commit that returned survives power loss. NORMAL: the last
  // commits may be lost on power loss (never on a process crash); the file is
  // never corrupted either way.
  bool synchronous_full = true;
  // How long a connection waits on a lock held by another connection.
  int busy_timeout_ms = 5000;
  // Checkpoints (copying the WAL back into the file, with an fsync) run on a
  // thread of their own once the WAL holds this many pages, so a commit never
  // waits for one. 0: SQLite's default, the committing thread checkpoints.
  int background_checkpoint_pages = 1000;
  // Past this many WAL pages (the background checkpointer can't keep up), the
  // committing thread checkpoints itself, so the WAL can't grow without bound.
  int wal_pages_hard_limit = 65536; // 256 MiB of 4 KiB pages
  // With synchronous_full, the writer's commits reach the WAL in one write
  // each instead of two per page (storage/wal_coalescing_vfs.hpp).
  bool coalesce_wal_writes = true;
  // Every connection opens the file through this SQLite VFS (deterministic
  // simulation: sim/simulated_disk.hpp); empty: the default (or coalescing) one.
  std::string vfs;
};

class sqlite_store final : public store {
public:
  // Opens or creates the file at `path` and applies missing migrations.
  // Throws store_error when the file can't be opened or migrated, was written
  // by a newer build, or can't use WAL (":memory:" is therefore refused: the
  // reader connection would see a different, empty database).
  explicit sqlite_store(const std::string& path, sqlite_options opts = {});
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  void commit(const write_batch& batch) override;
  store_snapshot load() override;
  store_snapshot load_user(user_id u) override;
  std::vector<price_alert> active_alerts_of(const std::string& symbol) override;
  std::vector<execution_row> executions_of(order_id id) override;
  std::vector<candle> candles_since(timestamp from) override;
  std::vector<candle> candles_of(const std::string& symbol, timestamp from, timestamp to) override;

  bool add_operator(const operator_account& a) override;
  std::optional<operator_account> find_operator(const std::string& name) override;
  std::vector<operator_account> operators() override;
  int64_t append_audit(const audit_entry& e) override;
  std::vector<audit_entry> audit_log(int64_t before_id, size_t limit) override;
  void put_halt(const stored_halt& h) override;
  void remove_halt(const std::string& symbol) override;
  std::vector<stored_halt> halts() override;

private:
  struct writer; // write connection, its cached statements and its mutex
  struct reader; // read-only connection, its cached statements and its mutex
  struct checkpointer; // own connection and thread; see background_checkpoint_pages
  std::unique_ptr<writer> writer_;
  std::unique_ptr<reader> reader_; // opened after writer_ has migrated the file
  std::unique_ptr<checkpointer> checkpointer_; // declared last: stopped first
};

} // namespace broker
