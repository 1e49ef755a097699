#include "storage/wal_coalescing_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <cstring>
#include <stdexcept>
#include <string>

namespace broker {
namespace {

constexpr int max_buffered = 1 << 20; // a larger run of writes bypasses the buffer
// The unix VFS writes at most 128 KiB - 1 per call (it masks larger sizes
// and then reports SQLITE_FULL), so a flush goes out in pieces of this size.
constexpr int max_write = 64 << 10;

// Our file object, as SQLite's appendvfs lays it out: ours first, the
// wrapped VFS's own file object right after it. Every method forwards to the
// wrapped one; only a WAL's also buffer.
struct coalescing_file {
  sqlite3_file base; // SQLite's view: pMethods points at our table
  const sqlite3_io_methods* real_methods = nullptr;
  bool is_wal = false;
  // The WAL's pending writes: data[0, length) goes at `offset` in the file.
  char* data = nullptr;
  int capacity = 0;
  int length = 0;
  sqlite3_int64 offset = 0;
};

constexpr size_t real_file_offset =
  (sizeof(coalescing_file) + alignof(std::max_align_t) - 1) / alignof(std::max_align_t)
  * alignof(std::max_align_t);

coalescing_file& ours(sqlite3_file* f) { return *reinterpret_cast<coalescing_file*>(f); }
sqlite3_file* real(sqlite3_file* f) {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + real_file_offset);
}
const sqlite3_io_methods& real_methods(sqlite3_file* f) { return *ours(f).real_methods; }

sqlite3_vfs* wrapped_vfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

// Writes out what is buffered. Invariant after it returns SQLITE_OK: the
// file holds every write SQLite made, as it would without this VFS.
int flush(sqlite3_file* f) {
  auto& s = ours(f);
  int rc = SQLITE_OK;
  for (int done = 0; done < s.length && rc == SQLITE_OK; done += max_write)
    rc = s.real_methods->xWrite(real(f), s.data + done, std::min(max_write, s.length - done),
                                s.offset + done);
  s.length = 0;
  return rc;
}

int file_write(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
  auto& s = ours(f);
  if (!s.is_wal)
    return s.real_methods->xWrite(real(f), buf, amount, offset);
  sqlite3_int64 end = s.offset + s.length;
  // Rewriting a frame of this same transaction (SQLite rewrites a page it
  // wrote earlier in it): in place.
  if (s.length > 0 && offset >= s.offset && offset + amount <= end) {
    std::memcpy(s.data + (offset - s.offset), buf, static_cast<size_t>(amount));
    return SQLITE_OK;
  }
  bool appends = s.length > 0 && offset == end;
  if (!appends || s.length + amount > max_buffered) {
    if (int rc = flush(f); rc != SQLITE_OK)
      return rc;
    if (amount > max_write)
      return s.real_methods->xWrite(real(f), buf, amount, offset); // SQLite's own size
    s.offset = offset;
  }
  if (s.length + amount > s.capacity) {
    int grown = s.capacity == 0 ? 64 << 10 : s.capacity;
    while (grown < s.length + amount)
      grown *= 2;
    auto* more = static_cast<char*>(std::realloc(s.data, static_cast<size_t>(grown)));
    if (!more) { // out of memory: write through
      if (int rc = flush(f); rc != SQLITE_OK)
        return rc;
      return s.real_methods->xWrite(real(f), buf, amount, offset);
    }
    s.data = more;
    s.capacity = grown;
  }
  std::memcpy(s.data + s.length, buf, static_cast<size_t>(amount));
  s.length += amount;
  return SQLITE_OK;
}

int file_close(sqlite3_file* f) {
  int flushed = flush(f);
  std::free(ours(f).data);
  ours(f).data = nullptr;
  int rc = real_methods(f).xClose(real(f));
  return flushed != SQLITE_OK ? flushed : rc;
}

// Everything else flushes first (a no-op unless this is a WAL with writes
// pending), then forwards.
#define FLUSH_FIRST(f)                          \
  if (int rc = flush(f); rc != SQLITE_OK)       \
    return rc

int file_read(sqlite3_file* f, void* buf, int amount, sqlite3_int64 offset) {
  FLUSH_FIRST(f);
  return real_methods(f).xRead(real(f), buf, amount, offset);
}
int file_truncate(sqlite3_file* f, sqlite3_int64 size) {
  FLUSH_FIRST(f);
  return real_methods(f).xTruncate(real(f), size);
}
int file_sync(sqlite3_file* f, int flags) {
  FLUSH_FIRST(f);
  return real_methods(f).xSync(real(f), flags);
}
int file_size(sqlite3_file* f, sqlite3_int64* size) {
  FLUSH_FIRST(f);
  return real_methods(f).xFileSize(real(f), size);
}
int file_lock(sqlite3_file* f, int level) {
  FLUSH_FIRST(f);
  return real_methods(f).xLock(real(f), level);
}
int file_unlock(sqlite3_file* f, int level) {
  FLUSH_FIRST(f);
  return real_methods(f).xUnlock(real(f), level);
}
int file_check_reserved_lock(sqlite3_file* f, int* out) {
  return real_methods(f).xCheckReservedLock(real(f), out);
}
int file_control(sqlite3_file* f, int op, void* arg) {
  FLUSH_FIRST(f);
  return real_methods(f).xFileControl(real(f), op, arg);
}
int file_sector_size(sqlite3_file* f) { return real_methods(f).xSectorSize(real(f)); }
int file_device_characteristics(sqlite3_file* f) {
  return real_methods(f).xDeviceCharacteristics(real(f));
}
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
// A WAL is never memory-mapped (a mapping would bypass the buffer).
int file_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  if (ours(f).is_wal) {
    *out = nullptr;
    return SQLITE_OK;
  }
  return real_methods(f).xFetch(real(f), offset, amount, out);
}
int file_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  if (ours(f).is_wal)
    return SQLITE_OK;
  return real_methods(f).xUnfetch(real(f), offset, p);
}

#undef FLUSH_FIRST

const sqlite3_io_methods coalescing_methods = {
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

int vfs_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  sqlite3_vfs* wrapped = wrapped_vfs(vfs);
  new (&ours(f)) coalescing_file{};
  f->pMethods = nullptr; // SQLite must not call xClose if the open fails
  int rc = wrapped->xOpen(wrapped, name, real(f), flags, out_flags);
  if (rc != SQLITE_OK || !real(f)->pMethods)
    return rc;
  if (real(f)->pMethods->iVersion < 3) { // nothing to forward xShm* and xFetch to
    real(f)->pMethods->xClose(real(f));
    return SQLITE_CANTOPEN;
  }
  ours(f).real_methods = real(f)->pMethods;
  ours(f).is_wal = (flags & SQLITE_OPEN_WAL) != 0;
  f->pMethods = &coalescing_methods;
  return SQLITE_OK;
}

// The rest of the VFS is the wrapped one's.
int vfs_delete(sqlite3_vfs* v, const char* name, int sync_dir) {
  return wrapped_vfs(v)->xDelete(wrapped_vfs(v), name, sync_dir);
}
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

sqlite3_vfs make_vfs(sqlite3_vfs* real, const char* name) {
  sqlite3_vfs v{};
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(real_file_offset) + real->szOsFile;
  v.mxPathname = real->mxPathname;
  v.zName = name;
  v.pAppData = real;
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
  v.xCurrentTimeInt64 = vfs_current_time_int64;
  return v;
}

} // namespace

const char* wal_coalescing_vfs() {
  static const char* name = [] {
    sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
    if (!real || real->iVersion < 2)
      throw std::runtime_error("sqlite: no default VFS to wrap");
    return register_wal_coalescing_vfs(real, "broker-wal-coalescing");
  }();
  return name;
}

const char* register_wal_coalescing_vfs(sqlite3_vfs* wrapped, const char* name) {
  auto* vfs = new sqlite3_vfs(make_vfs(wrapped, name)); // lives as long as the process
  if (sqlite3_vfs_register(vfs, 0) != SQLITE_OK)
    throw std::runtime_error(std::string{"sqlite: could not register VFS "} + name);
  return vfs->zName;
}

} // namespace broker
