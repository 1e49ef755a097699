#pragma once
// A disk that loses what was never synced, for crash simulation.
//
// When a node loses power, only what SQLite fsynced is still there; SQLite's
// recovery (the hot journal, the WAL's checksums) has to make the store whole
// again from that. Killing the process is not enough to test this, because
// the kernel keeps a dead process's writes. This SQLite VFS wraps a real one
// and records, for each database, WAL and rollback journal opened through it,
// what the file held at its last xSync. power_off() then power_on() put every
// such file back to that state. Their syncs are recorded, not passed on to
// the host's disk: its durability is not what a run tests.
//
// How a file is put back: before a region is first overwritten (or cut off)
// after a sync, its synced bytes are saved. power_on() writes them back and
// restores the synced size. A file created through the VFS and never synced
// is removed. A sync makes the file's content *and* its existence durable
// (as if its directory had been synced too). A delete while powered is
// durable at once.
#include <cstdint>
#include <memory>
#include <string>

struct sqlite3_vfs;

namespace broker::sim {

struct disk_stats {
  uint64_t syncs = 0;          // xSync calls that reached the disk
  uint64_t writes = 0;         // xWrite calls that reached the disk
  uint64_t writes_lost = 0;    // xWrite calls whose data a power cut lost: dropped while the
                               // power was off, or undone by power_on because never synced
  uint64_t bytes_lost = 0;     // what those writes carried
  uint64_t files_restored = 0; // files power_on changed: bytes put back, resized or removed
};

struct disk_state; // simulated_disk.cpp

class simulated_disk {
public:
  // Registers an SQLite VFS called `name` over `wrapped` (nullptr: the default
  // VFS). It is never made the default VFS. Throws if a VFS of that name exists.
  explicit simulated_disk(std::string name = "simdisk", sqlite3_vfs* wrapped = nullptr);
  ~simulated_disk(); // unregisters; no connection may still use it
  simulated_disk(const simulated_disk&) = delete;
  simulated_disk& operator=(const simulated_disk&) = delete;

  const char* vfs_name() const; // for sqlite3_open_v2 / SQLiteCpp's aVfs argument

  // The power is cut: from now on xWrite, xTruncate, xSync and xDelete do
  // nothing and return SQLITE_OK, as what a dying process still does never
  // reaches the disk. Reads still work, so connections can then be closed
  // (their close-time checkpoint and WAL delete are discarded with the rest).
  // Temporary files (no name, or delete-on-close) are not durable anyway and
  // keep working. Does nothing if the power is already off.
  void power_off();

  // The power comes back. Every connection through the VFS must have been
  // closed (throws std::logic_error otherwise). Each file is put back as it
  // was at its last sync, the VFS works normally again and no undo record
  // remains. Does nothing if the power was on. Throws std::system_error if a
  // file cannot be put back.
  void power_on();

  bool powered() const;
  disk_stats stats() const;

private:
  std::unique_ptr<disk_state> state_;
};

} // namespace broker::sim
