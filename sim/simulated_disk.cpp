#include "sim/simulated_disk.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstddef>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unordered_map>

namespace broker::sim {

struct disk_state {
  // What one path held at its last sync, as far as it differs from now.
  struct undo_log {
    sqlite3_int64 synced_size = 0;
    bool never_synced = false; // created through the VFS since the power came on
    // The synced bytes of every region overwritten or cut off since the sync,
    // by offset. Invariant: disjoint, within [0, synced_size), and every
    // synced byte that has changed or is gone lies in one of them.
    std::map<sqlite3_int64, std::string> originals;
    uint64_t writes = 0, bytes = 0; // xWrites since the sync: what a power cut undoes

    void synced(sqlite3_int64 size) {
      synced_size = size;
      never_synced = false;
      originals.clear();
      writes = bytes = 0;
    }
  };

  std::string name;
  sqlite3_vfs* wrapped = nullptr;
  sqlite3_vfs vfs{}; // registered; pAppData points at this state

  // Guards everything below: SQLite calls in from any connection's thread
  // (the store's background checkpointer among them). Held across the
  // wrapped file's I/O so that saving old bytes and writing new ones (or a
  // sync and the size it records) are one step for other threads.
  mutable std::mutex mutex;
  bool powered = true;
  // Per path, not per handle: several connections open the same files, and
  // a sync through any of them syncs the file. Handles share the log; a
  // delete drops it from here (a handle still open keeps its detached copy).
  std::unordered_map<std::string, std::shared_ptr<undo_log>> logs;
  int open_files = 0;
  disk_stats stats;
};

namespace {

using undo_log = disk_state::undo_log;

// Saved bytes are read in pieces of this size: the unix VFS moves at most
// 128 KiB - 1 per call.
constexpr int max_io = 64 << 10;

// Durable kinds of file: kept per path and put back on power_on. The rest
// (temp databases and journals, statement journals) pass through.
constexpr int tracked_kinds =
  SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUPER_JOURNAL;

// Our file object, laid out as in storage/wal_coalescing_vfs.cpp: ours
// first, the wrapped VFS's own file object right after it.
struct disk_file {
  sqlite3_file base; // SQLite's view: pMethods points at our table
  const sqlite3_io_methods* real_methods = nullptr;
  disk_state* disk = nullptr;
  std::shared_ptr<undo_log> log; // null: not tracked, every call passes through
};

constexpr size_t real_file_offset =
  (sizeof(disk_file) + alignof(std::max_align_t) - 1) / alignof(std::max_align_t)
  * alignof(std::max_align_t);

disk_file& ours(sqlite3_file* f) { return *reinterpret_cast<disk_file*>(f); }
sqlite3_file* real(sqlite3_file* f) {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + real_file_offset);
}
const sqlite3_io_methods& real_methods(sqlite3_file* f) { return *ours(f).real_methods; }
disk_state& state_of(sqlite3_vfs* vfs) { return *static_cast<disk_state*>(vfs->pAppData); }

// No C++ exception may unwind into SQLite: the bookkeeping's allocations
// fail as SQLITE_NOMEM.
template <class Body>
int guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  } catch (...) {
    return SQLITE_IOERR;
  }
}

// Saves the synced bytes of [begin, end) not saved yet, read from the file
// as it is now (unchanged there, by the log's invariant).
int save_originals(sqlite3_file* f, undo_log& log, sqlite3_int64 begin, sqlite3_int64 end) {
  end = std::min(end, log.synced_size);
  if (begin >= end)
    return SQLITE_OK;
  auto& saved = log.originals;
  auto next = saved.upper_bound(begin); // the first chunk starting after `begin`
  sqlite3_int64 at = begin;
  if (next != saved.begin()) {
    auto before = std::prev(next);
    at = std::max(at, before->first + static_cast<sqlite3_int64>(before->second.size()));
  }
  while (at < end) {
    sqlite3_int64 gap_end = next == saved.end() ? end : std::min(end, next->first);
    if (at < gap_end) {
      std::string bytes(static_cast<size_t>(gap_end - at), '\0');
      for (sqlite3_int64 done = 0; done < gap_end - at; done += max_io) {
        int n = static_cast<int>(std::min<sqlite3_int64>(max_io, gap_end - at - done));
        int rc = real_methods(f).xRead(real(f), bytes.data() + done, n, at + done);
        // A short read would mean synced bytes vanished unsaved: only if the
        // file was changed behind the VFS's back.
        assert(rc != SQLITE_IOERR_SHORT_READ);
        if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
          return rc;
      }
      saved.emplace_hint(next, at, std::move(bytes));
    }
    if (next == saved.end())
      break;
    at = std::max(at, next->first + static_cast<sqlite3_int64>(next->second.size()));
    ++next;
  }
  return SQLITE_OK;
}

int file_close(sqlite3_file* f) {
  auto& s = ours(f);
  int rc = s.real_methods->xClose(real(f));
  {
    std::lock_guard lock(s.disk->mutex);
    --s.disk->open_files;
    assert(s.disk->open_files >= 0);
  }
  s.~disk_file();
  return rc;
}

int file_read(sqlite3_file* f, void* buf, int amount, sqlite3_int64 offset) {
  return real_methods(f).xRead(real(f), buf, amount, offset); // also without power: the cache
}

int file_write(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
  auto& s = ours(f);
  if (!s.log)
    return s.real_methods->xWrite(real(f), buf, amount, offset);
  return guarded([&] {
    std::lock_guard lock(s.disk->mutex);
    auto& stats = s.disk->stats;
    if (!s.disk->powered) {
      ++stats.writes_lost;
      stats.bytes_lost += static_cast<uint64_t>(amount);
      return SQLITE_OK;
    }
    if (int rc = save_originals(f, *s.log, offset, offset + amount); rc != SQLITE_OK)
      return rc;
    int rc = s.real_methods->xWrite(real(f), buf, amount, offset);
    if (rc == SQLITE_OK) {
      ++stats.writes;
      ++s.log->writes;
      s.log->bytes += static_cast<uint64_t>(amount);
    }
    return rc;
  });
}

int file_truncate(sqlite3_file* f, sqlite3_int64 size) {
  auto& s = ours(f);
  if (!s.log)
    return s.real_methods->xTruncate(real(f), size);
  return guarded([&] {
    std::lock_guard lock(s.disk->mutex);
    if (!s.disk->powered)
      return SQLITE_OK;
    sqlite3_int64 now = 0;
    if (int rc = s.real_methods->xFileSize(real(f), &now); rc != SQLITE_OK)
      return rc;
    // What is cut off (growing needs nothing: the size restore cuts it back).
    if (int rc = save_originals(f, *s.log, size, now); rc != SQLITE_OK)
      return rc;
    return s.real_methods->xTruncate(real(f), size);
  });
}

int file_sync(sqlite3_file* f, int flags) {
  auto& s = ours(f);
  if (!s.log)
    return s.real_methods->xSync(real(f), flags);
  (void)flags;
  std::lock_guard lock(s.disk->mutex);
  if (!s.disk->powered)
    return SQLITE_OK;
  // Recorded, not passed on: what a power cut loses is simulated here, the
  // host's disk is not under test, and an fsync per commit would make a run
  // wait on it.
  sqlite3_int64 size = 0;
  if (int rc = s.real_methods->xFileSize(real(f), &size); rc != SQLITE_OK)
    return rc; // the log stays: a power cut still undoes the writes (as if the sync failed)
  s.log->synced(size);
  ++s.disk->stats.syncs;
  return SQLITE_OK;
}

int file_size(sqlite3_file* f, sqlite3_int64* size) { return real_methods(f).xFileSize(real(f), size); }
int file_lock(sqlite3_file* f, int level) { return real_methods(f).xLock(real(f), level); }
int file_unlock(sqlite3_file* f, int level) { return real_methods(f).xUnlock(real(f), level); }
int file_check_reserved_lock(sqlite3_file* f, int* out) {
  return real_methods(f).xCheckReservedLock(real(f), out);
}
// SQLITE_FCNTL_SYNC is only a notice; the data is durable at xSync. A size
// hint may grow the file, which the size restore undoes.
int file_control(sqlite3_file* f, int op, void* arg) {
  return real_methods(f).xFileControl(real(f), op, arg);
}
int file_sector_size(sqlite3_file* f) { return real_methods(f).xSectorSize(real(f)); }
int file_device_characteristics(sqlite3_file* f) {
  return real_methods(f).xDeviceCharacteristics(real(f));
}
// The wal-index (-shm) is mapped memory, not durable data: SQLite rebuilds it
// from the WAL when the first connection opens, so it passes through.
int file_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real_methods(f).xShmMap(real(f), region, size, extend, out);
}
int file_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_methods(f).xShmLock(real(f), offset, n, flags);
}
void file_shm_barrier(sqlite3_file* f) { real_methods(f).xShmBarrier(real(f)); }
int file_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real_methods(f).xShmUnmap(real(f), delete_flag);
}
// Nothing is ever memory-mapped: SQLite then reads with xRead, and no mapping
// of the wrapped file is alive when power_on rewrites it.
int file_fetch(sqlite3_file*, sqlite3_int64, int, void** out) {
  *out = nullptr;
  return SQLITE_OK;
}
int file_unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

constexpr sqlite3_io_methods methods_v3 = {
  3,
  file_close,
  file_read,
  file_write,
  file_truncate,
  file_sync,
  file_size,
  file_lock,
  file_unlock,
  file_check_reserved_lock,
  file_control,
  file_sector_size,
  file_device_characteristics,
  file_shm_map,
  file_shm_lock,
  file_shm_barrier,
  file_shm_unmap,
  file_fetch,
  file_unfetch,
};
// For a wrapped file without xShm* (SQLite then uses WAL only in exclusive mode).
constexpr sqlite3_io_methods methods_v1 = {
  1,
  file_close,
  file_read,
  file_write,
  file_truncate,
  file_sync,
  file_size,
  file_lock,
  file_unlock,
  file_check_reserved_lock,
  file_control,
  file_sector_size,
  file_device_characteristics,
  nullptr,
  nullptr,
  nullptr,
  nullptr,
  nullptr,
  nullptr,
};

int vfs_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  disk_state& disk = state_of(vfs);
  sqlite3_vfs* wrapped = disk.wrapped;
  auto* s = new (f) disk_file{};
  s->disk = &disk;
  f->pMethods = nullptr; // SQLite must not call xClose if the open fails
  real(f)->pMethods = nullptr;
  bool tracked = name && (flags & tracked_kinds) && !(flags & SQLITE_OPEN_DELETEONCLOSE);
  int rc = guarded([&] {
    // Under the lock: finding (or making) the path's log and opening the
    // file are one step for other connections.
    std::lock_guard lock(disk.mutex);
    // Everything that can throw comes before the open: after it, a failure
    // would leave a file open that SQLite does not know of.
    std::shared_ptr<undo_log> log;
    auto made = disk.logs.end(); // the log this open made, forgotten if the open fails
    if (tracked) {
      auto it = disk.logs.find(name);
      if (it == disk.logs.end()) {
        // First open since the power came on (or since a delete): what the
        // file holds now counts as synced; a file this open creates never was.
        int existed = 1;
        if (int rc = wrapped->xAccess(wrapped, name, SQLITE_ACCESS_EXISTS, &existed); rc != SQLITE_OK)
          return rc;
        auto fresh = std::make_shared<undo_log>();
        fresh->never_synced = !existed;
        it = made = disk.logs.emplace(name, std::move(fresh)).first;
      }
      log = it->second;
    }
    auto fail_open = [&](int rc) {
      if (real(f)->pMethods)
        real(f)->pMethods->xClose(real(f));
      real(f)->pMethods = nullptr;
      if (made != disk.logs.end())
        disk.logs.erase(made);
      return rc;
    };
    int rc = wrapped->xOpen(wrapped, name, real(f), flags, out_flags);
    if (rc != SQLITE_OK || !real(f)->pMethods)
      return fail_open(rc != SQLITE_OK ? rc : SQLITE_CANTOPEN);
    if (made != disk.logs.end() && !log->never_synced) {
      if (int size_rc = real(f)->pMethods->xFileSize(real(f), &log->synced_size); size_rc != SQLITE_OK)
        return fail_open(size_rc);
    }
    s->real_methods = real(f)->pMethods;
    s->log = std::move(log);
    ++disk.open_files;
    return SQLITE_OK;
  });
  if (!real(f)->pMethods) {
    s->~disk_file();
    return rc;
  }
  assert(rc == SQLITE_OK);
  f->pMethods = s->real_methods->iVersion >= 2 ? &methods_v3 : &methods_v1;
  return SQLITE_OK;
}

int vfs_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  disk_state& disk = state_of(vfs);
  return guarded([&] {
    std::lock_guard lock(disk.mutex);
    if (!disk.powered)
      return SQLITE_OK; // the file stays, as it was
    int rc = disk.wrapped->xDelete(disk.wrapped, name, sync_dir);
    // Gone for good: a file made again at this path starts a new log.
    if (rc == SQLITE_OK || rc == SQLITE_IOERR_DELETE_NOENT)
      disk.logs.erase(name);
    return rc;
  });
}

// The rest of the VFS is the wrapped one's.
sqlite3_vfs* wrapped_vfs(sqlite3_vfs* vfs) { return state_of(vfs).wrapped; }
int vfs_access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return wrapped_vfs(v)->xAccess(wrapped_vfs(v), name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs* v, const char* name, int n, char* out) {
  return wrapped_vfs(v)->xFullPathname(wrapped_vfs(v), name, n, out);
}
void* vfs_dl_open(sqlite3_vfs* v, const char* name) { return wrapped_vfs(v)->xDlOpen(wrapped_vfs(v), name); }
void vfs_dl_error(sqlite3_vfs* v, int n, char* out) { wrapped_vfs(v)->xDlError(wrapped_vfs(v), n, out); }
void (*vfs_dl_sym(sqlite3_vfs* v, void* handle, const char* symbol))(void) {
  return wrapped_vfs(v)->xDlSym(wrapped_vfs(v), handle, symbol);
}
void vfs_dl_close(sqlite3_vfs* v, void* handle) { wrapped_vfs(v)->xDlClose(wrapped_vfs(v), handle); }
int vfs_randomness(sqlite3_vfs* v, int n, char* out) {
  return wrapped_vfs(v)->xRandomness(wrapped_vfs(v), n, out);
}
int vfs_sleep(sqlite3_vfs* v, int us) { return wrapped_vfs(v)->xSleep(wrapped_vfs(v), us); }
int vfs_current_time(sqlite3_vfs* v, double* out) {
  return wrapped_vfs(v)->xCurrentTime(wrapped_vfs(v), out);
}
int vfs_get_last_error(sqlite3_vfs* v, int n, char* out) {
  return wrapped_vfs(v)->xGetLastError(wrapped_vfs(v), n, out);
}
int vfs_current_time_int64(sqlite3_vfs* v, sqlite3_int64* out) {
  return wrapped_vfs(v)->xCurrentTimeInt64(wrapped_vfs(v), out);
}

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::system_error(errno, std::generic_category(), "simulated_disk: " + what + " " + path);
}

// Puts `path` back as `log` says it was at its last sync, with POSIX calls
// (every connection is closed). Returns whether anything changed. Not fsynced:
// the durability simulated here is the VFS's, not the host's.
bool restore(const std::string& path, const undo_log& log) {
  if (log.never_synced) {
    if (::unlink(path.c_str()) == 0)
      return true;
    if (errno != ENOENT)
      fail("cannot remove", path);
    return false;
  }
  struct descriptor {
    int fd;
    ~descriptor() {
      if (fd >= 0)
        ::close(fd);
    }
  } file{::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)}; // made again if removed behind our back
  if (file.fd < 0)
    fail("cannot open", path);
  struct stat st {};
  if (::fstat(file.fd, &st) != 0)
    fail("cannot stat", path);
  if (log.originals.empty() && st.st_size == log.synced_size)
    return false;
  for (const auto& [offset, bytes] : log.originals) {
    assert(offset + static_cast<sqlite3_int64>(bytes.size()) <= log.synced_size);
    for (size_t done = 0; done < bytes.size();) {
      ssize_t n = ::pwrite(file.fd, bytes.data() + done, bytes.size() - done,
                           static_cast<off_t>(offset + static_cast<sqlite3_int64>(done)));
      if (n < 0 && errno != EINTR)
        fail("cannot write", path);
      if (n > 0)
        done += static_cast<size_t>(n);
    }
  }
  if (::ftruncate(file.fd, static_cast<off_t>(log.synced_size)) != 0)
    fail("cannot resize", path);
  return true;
}

} // namespace

simulated_disk::simulated_disk(std::string name, sqlite3_vfs* wrapped)
  : state_(std::make_unique<disk_state>()) {
  auto& s = *state_;
  s.name = std::move(name);
  s.wrapped = wrapped ? wrapped : sqlite3_vfs_find(nullptr);
  if (!s.wrapped)
    throw std::runtime_error("simulated_disk: no default VFS to wrap");
  if (sqlite3_vfs_find(s.name.c_str()))
    throw std::invalid_argument("simulated_disk: a VFS called " + s.name + " exists already");
  sqlite3_vfs& v = s.vfs;
  v.iVersion = std::min(s.wrapped->iVersion, 2); // no xSetSystemCall and friends
  v.szOsFile = static_cast<int>(real_file_offset) + s.wrapped->szOsFile;
  v.mxPathname = s.wrapped->mxPathname;
  v.zName = s.name.c_str();
  v.pAppData = &s;
  v.xOpen = vfs_open;
  v.xDelete = vfs_delete;
  v.xAccess = vfs_access;
  v.xFullPathname = vfs_full_pathname;
  v.xDlOpen = vfs_dl_open;
  v.xDlError = vfs_dl_error;
  v.xDlSym = vfs_dl_sym;
  v.xDlClose = vfs_dl_close;
  v.xRandomness = vfs_randomness;
  v.xSleep = vfs_sleep;
  v.xCurrentTime = vfs_current_time;
  v.xGetLastError = vfs_get_last_error;
  if (v.iVersion >= 2)
    v.xCurrentTimeInt64 = vfs_current_time_int64;
  if (sqlite3_vfs_register(&v, 0) != SQLITE_OK)
    throw std::runtime_error("simulated_disk: could not register VFS " + s.name);
}

simulated_disk::~simulated_disk() {
  assert(state_->open_files == 0); // a connection outliving its disk would use freed memory
  sqlite3_vfs_unregister(&state_->vfs);
}

const char* simulated_disk::vfs_name() const { return state_->name.c_str(); }

void simulated_disk::power_off() {
  std::lock_guard lock(state_->mutex);
  state_->powered = false;
}

void simulated_disk::power_on() {
  auto& s = *state_;
  std::lock_guard lock(s.mutex);
  if (s.powered)
    return;
  if (s.open_files != 0)
    throw std::logic_error("simulated_disk: power_on while " + std::to_string(s.open_files)
                           + " files are still open through " + s.name);
  // One path at a time, each forgotten once put back: if one fails (and
  // throws), a second power_on redoes only the rest.
  for (auto it = s.logs.begin(); it != s.logs.end(); it = s.logs.erase(it)) {
    const auto& [path, log] = *it;
    if (restore(path, *log))
      ++s.stats.files_restored;
    s.stats.writes_lost += log->writes;
    s.stats.bytes_lost += log->bytes;
  }
  s.powered = true;
}

bool simulated_disk::powered() const {
  std::lock_guard lock(state_->mutex);
  return state_->powered;
}

disk_stats simulated_disk::stats() const {
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

} // namespace broker::sim
