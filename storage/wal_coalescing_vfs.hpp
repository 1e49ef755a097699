#pragma once
// An SQLite VFS that writes each transaction's WAL frames with one pwrite.
//
// SQLite appends a commit to the WAL frame by frame, and each frame as two
// writes (its 24-byte header, then the page): ~14 pwrite calls for a typical
// order_bench commit, each ~11 us of CPU on this VM. This VFS wraps the
// default one and, for WAL files only, gathers consecutive writes in a buffer
// that goes to the file in a single write just before the WAL is synced.
//
// Why that is safe: other connections only read frames that the wal-index
// lists, and SQLite adds a commit's frames to the index after it has synced
// them, which flushes the buffer first. Every other operation on the WAL
// (a read, the file size, truncation, close, ...) flushes first too, so the
// connection itself never sees a file without its own writes. Use it only
// with synchronous=FULL: under NORMAL, a commit is indexed without a sync.
struct sqlite3_vfs;

namespace broker {

// The VFS's name for sqlite3_open_v2 (SQLiteCpp's `aVfs`). Registers it on
// the first call (thread-safe); never the default VFS.
const char* wal_coalescing_vfs();

// The same over another VFS than the default, registered under `name` (for
// tests, over a VFS that counts writes). Both must outlive every connection.
const char* register_wal_coalescing_vfs(sqlite3_vfs* wrapped, const char* name);

} // namespace broker
